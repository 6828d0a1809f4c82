package dynamo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/apperr"
	"banban/shared/cases"
	"banban/shared/pii"
)

// Cases stores assisted-handling cases, their history, tracking-number sequences and idempotency
// records in one table:
//
//	pk CASE#<id>        sk CASE              the case (personal data sealed, keyed hashes)
//	pk CASE#<id>        sk EVENT#<seq>       its history, one item per change
//	pk SEQ#<year>       sk SEQ               the year's tracking-number counter
//	pk IDEM#<sub>#<key> sk IDEM              an idempotency record (TTL expiresAt)
//
// Indexes: gsi1 requester (REQ#<sub>, createdAt#id), gsi2 assignee (ASG#<sub>, updatedAt#id),
// gsi3 ID-number look-up (IDH#<hash>, createdAt#id), gsi4 purge due (PURGE#<yyyy-mm>, purgeAt#id),
// gsi5 open cases by due time (OPEN#<shard>, dueAt#id), gsi6 assigned, not yet accepted cases by
// assignment time (ASSIGNED#<shard>, assignedAt#id), gsi7 team queues, gsi8 closed cases whose
// rating follow-up has a step due (RATE#<shard>, dueAt#id). The supervision indexes are sharded
// so that no single partition takes every open case of a province.
type Cases struct {
	DB    API
	Table string
	PII   *pii.Protector
	// Retention is how long personal data of a closed case is kept.
	Retention time.Duration
}

// caseItem is the stored form of a case: the domain case without its personal data, which is
// sealed field by field.
type caseItem struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
	cases.Case
	Personal *struct{} `json:"personal,omitempty"` // never stored in clear
	Sealed   sealed    `json:"sealed"`
	IDHash   string    `json:"idHash,omitempty"`
	MobHash  string    `json:"mobileHash,omitempty"`
	Pending  bool      `json:"eventPending,omitempty"`
	Purged   bool      `json:"purged,omitempty"`
	PurgeAt  string    `json:"purgeAt,omitempty"`
	GSI1PK   string    `json:"gsi1pk,omitempty"`
	GSI1SK   string    `json:"gsi1sk,omitempty"`
	GSI2PK   string    `json:"gsi2pk,omitempty"`
	GSI2SK   string    `json:"gsi2sk,omitempty"`
	GSI3PK   string    `json:"gsi3pk,omitempty"`
	GSI3SK   string    `json:"gsi3sk,omitempty"`
	GSI4PK   string    `json:"gsi4pk,omitempty"`
	GSI4SK   string    `json:"gsi4sk,omitempty"`
	GSI5PK   string    `json:"gsi5pk,omitempty"`
	GSI5SK   string    `json:"gsi5sk,omitempty"`
	GSI6PK   string    `json:"gsi6pk,omitempty"`
	GSI6SK   string    `json:"gsi6sk,omitempty"`
	GSI7PK   string    `json:"gsi7pk,omitempty"`
	GSI7SK   string    `json:"gsi7sk,omitempty"`
	GSI8PK   string    `json:"gsi8pk,omitempty"`
	GSI8SK   string    `json:"gsi8sk,omitempty"`
	// The rating follow-up (see caserating.go), never the rating itself.
	RatingPending  bool `json:"ratingPending,omitempty"`
	RatingInvited  bool `json:"ratingInvited,omitempty"`
	RatingReminded bool `json:"ratingReminded,omitempty"`
}

type sealed struct {
	Name     string `json:"name,omitempty"`
	IDNumber string `json:"idNumber,omitempty"`
	Mobile   string `json:"mobile,omitempty"`
	Address  string `json:"address,omitempty"`
}

type eventItem struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
	cases.Event
}

func caseKey(id string) map[string]types.AttributeValue { return key("CASE#"+id, "CASE") }

func eventSK(seq int) string { return fmt.Sprintf("EVENT#%06d", seq) }

func (s *Cases) item(ctx context.Context, c cases.Case, pending bool) (map[string]types.AttributeValue, error) {
	it := caseItem{PK: "CASE#" + c.ID, SK: "CASE", Case: c, Pending: pending}
	fields := []struct {
		dst   *string
		value string
		name  string
	}{
		{&it.Sealed.Name, c.Personal.Name, "name"},
		{&it.Sealed.IDNumber, c.Personal.IDNumber, "idNumber"},
		{&it.Sealed.Mobile, c.Personal.Mobile, "mobile"},
		{&it.Sealed.Address, c.Personal.Address, "address"},
	}
	for _, f := range fields {
		v, err := s.PII.Seal(ctx, f.value, "case/"+c.ID+"/"+f.name)
		if err != nil {
			return nil, err
		}
		*f.dst = v
	}
	it.Case.Personal = cases.Personal{}
	if c.Personal.IDNumber != "" {
		it.IDHash = s.PII.Hash("id", c.Personal.IDNumber)
		it.GSI3PK, it.GSI3SK = "IDH#"+it.IDHash, timeSK(c.CreatedAt, c.ID)
	}
	if c.Personal.Mobile != "" {
		it.MobHash = s.PII.Hash("mobile", c.Personal.Mobile)
	}
	if c.RequesterSub != "" {
		it.GSI1PK, it.GSI1SK = "REQ#"+c.RequesterSub, timeSK(c.CreatedAt, c.ID)
	}
	if c.Assignee != "" {
		it.GSI2PK, it.GSI2SK = "ASG#"+c.Assignee, timeSK(c.UpdatedAt, c.ID)
	}
	if !c.State.Closed() {
		it.GSI5PK, it.GSI5SK = OpenShard(c.ID), timeSK(c.DueAt, c.ID)
	}
	if c.State == cases.Assigned {
		it.GSI6PK, it.GSI6SK = AssignedShard(c.ID), timeSK(c.UpdatedAt, c.ID)
	}
	if c.Overflow != "" && (c.State == cases.Received || c.State == cases.Transferred) {
		it.GSI7PK, it.GSI7SK = OverflowShard(c.ID), overflowSK(c)
	}
	if c.Ratable() && c.RatedAt == nil {
		// Due at once: supervision sends the invitation to rate, then follows up (see caserating.go).
		it.GSI8PK, it.GSI8SK = RatingShard(c.ID), timeSK(*c.ClosedAt, c.ID)
	}
	if c.ClosedAt != nil && !c.Personal.Empty() {
		at := c.ClosedAt.Add(s.Retention).UTC()
		it.PurgeAt = at.Format(time.RFC3339)
		it.GSI4PK, it.GSI4SK = "PURGE#"+at.Format("2006-01"), it.PurgeAt+"#"+c.ID
	}
	item, err := marshal(it)
	if err != nil {
		return nil, err
	}
	delete(item, "personal")
	return item, nil
}

func (s *Cases) open(ctx context.Context, item map[string]types.AttributeValue) (cases.Case, error) {
	var it caseItem
	if err := unmarshal(item, &it); err != nil {
		return cases.Case{}, err
	}
	c := it.Case
	var err error
	for _, f := range []struct {
		dst  *string
		v    string
		name string
	}{
		{&c.Personal.Name, it.Sealed.Name, "name"},
		{&c.Personal.IDNumber, it.Sealed.IDNumber, "idNumber"},
		{&c.Personal.Mobile, it.Sealed.Mobile, "mobile"},
		{&c.Personal.Address, it.Sealed.Address, "address"},
	} {
		if *f.dst, err = s.PII.Open(ctx, f.v, "case/"+c.ID+"/"+f.name); err != nil {
			return cases.Case{}, fmt.Errorf("case %s %s: %w", c.ID, f.name, err)
		}
	}
	return c, nil
}

// NextTrackingNumber takes the next number of the year's sequence (BB-2026-000123). A number
// taken by a request that then fails is not reused: tracking numbers may have gaps.
func (s *Cases) NextTrackingNumber(ctx context.Context, year int) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.Table,
		Key:                       key("SEQ#"+strconv.Itoa(year), "SEQ"),
		UpdateExpression:          aws.String("ADD seq :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1)},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, unavailable(err, "next tracking number")
	}
	n, ok := out.Attributes["seq"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, errors.New("next tracking number: no sequence returned")
	}
	return strconv.ParseInt(n.Value, 10, 64)
}

// Create stores a new case and its first history entry, marked as having an event to publish.
func (s *Cases) Create(ctx context.Context, c cases.Case, ev cases.Event) error {
	err := s.write(ctx, c, ev, "attribute_not_exists(pk)", nil)
	if err != nil {
		return unavailable(err, "create case")
	}
	return nil
}

// Update stores c after a transition made from version c.Version-1, with its history entry. A
// concurrent change makes it fail with a 409: never a silent overwrite.
func (s *Cases) Update(ctx context.Context, c cases.Case, ev cases.Event) error {
	err := s.write(ctx, c, ev, "version = :prev", map[string]types.AttributeValue{":prev": num(int64(c.Version - 1))})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		return apperr.New(apperr.Conflict, "stale_version", "the case was changed by someone else; read it again")
	}
	if err != nil {
		return unavailable(err, "update case")
	}
	return nil
}

// write puts the case (under condition) and its history entry in one transaction, with the case
// marked as having an event to publish.
func (s *Cases) write(ctx context.Context, c cases.Case, ev cases.Event, condition string, values map[string]types.AttributeValue) error {
	item, err := s.item(ctx, c, true)
	if err != nil {
		return err
	}
	evItem, err := marshal(eventItem{PK: "CASE#" + c.ID, SK: eventSK(ev.Seq), Event: ev})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: item, ConditionExpression: &condition, ExpressionAttributeValues: values}},
		{Put: &types.Put{TableName: &s.Table, Item: evItem, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}})
	return err
}

// EventSent clears the mark of a case whose event reached the queue.
func (s *Cases) EventSent(ctx context.Context, id string, version int) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: caseKey(id),
		UpdateExpression:          aws.String("REMOVE eventPending"),
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(int64(version))},
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) { // a newer change has its own event to send
		return unavailable(err, "mark event sent")
	}
	return nil
}

// Get reads a case with its personal data opened.
func (s *Cases) Get(ctx context.Context, id string) (cases.Case, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: caseKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return cases.Case{}, false, unavailable(err, "read case")
	}
	if out.Item == nil {
		return cases.Case{}, false, apperr.New(apperr.NotFound, "not_found", "case not found")
	}
	var pending struct {
		Pending bool `json:"eventPending"`
	}
	if err := unmarshal(out.Item, &pending); err != nil {
		return cases.Case{}, false, err
	}
	c, err := s.open(ctx, out.Item)
	return c, pending.Pending, err
}

// Peek reads a case without opening its personal data: for routing and supervision, which never
// need it (and whose functions hold no right to the personal-data key).
func (s *Cases) Peek(ctx context.Context, id string) (cases.Case, error) {
	var it caseItem
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: caseKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return cases.Case{}, unavailable(err, "read case")
	}
	if out.Item == nil {
		return cases.Case{}, apperr.New(apperr.NotFound, "not_found", "case not found")
	}
	if err := unmarshal(out.Item, &it); err != nil {
		return cases.Case{}, err
	}
	return it.Case, nil
}

// Overflow records that no helper could take the case at any level: it waits, flagged, in the
// top team's queue (the level named), and supervision routes it again later.
func (s *Cases) Overflow(ctx context.Context, c cases.Case, queue string, ev cases.Event) error {
	evItem, err := marshal(eventItem{PK: "CASE#" + c.ID, SK: eventSK(ev.Seq), Event: ev})
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.TransactWriteItems(cctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.Table, Key: caseKey(c.ID),
			UpdateExpression:    aws.String("SET overflow = :q, version = :next, gsi7pk = :shard, gsi7sk = :order"),
			ConditionExpression: aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":q": str(queue), ":next": num(int64(c.Version + 1)), ":v": num(int64(c.Version)),
				":shard": str(OverflowShard(c.ID)), ":order": str(overflowSK(c))}}},
		{Put: &types.Put{TableName: &s.Table, Item: evItem, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		return nil // changed meanwhile: the newer change is routed on its own event
	}
	if err != nil {
		return unavailable(err, "record overflow")
	}
	return nil
}

// History lists a case's changes in order.
func (s *Cases) History(ctx context.Context, id string) ([]cases.Event, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.Table,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :ev)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str("CASE#" + id), ":ev": str("EVENT#"),
		},
	})
	if err != nil {
		return nil, unavailable(err, "read history")
	}
	evs := make([]cases.Event, 0, len(out.Items))
	for _, item := range out.Items {
		var it eventItem
		if err := unmarshal(item, &it); err != nil {
			return nil, err
		}
		evs = append(evs, it.Event)
	}
	return evs, nil
}

// Listing names an index and its partition: the requester's or the assignee's cases.
type Listing struct {
	index, pkAttr, skAttr, pk string
}

// ByRequester lists the cases a mini-program user asked for, newest first.
func ByRequester(sub string) Listing { return Listing{"gsi1", "gsi1pk", "gsi1sk", "REQ#" + sub} }

// ByAssignee lists the cases assigned to a helper, most recently changed first.
func ByAssignee(sub string) Listing { return Listing{"gsi2", "gsi2pk", "gsi2sk", "ASG#" + sub} }

// List returns one page of a listing and the cursor of the next ("" at the end).
func (s *Cases) List(ctx context.Context, l Listing, cursor string, limit int) ([]cases.Case, string, error) {
	size, err := PageSize(limit)
	if err != nil {
		return nil, "", err
	}
	start, err := decodeCursor(cursor, "pk", "sk", l.pkAttr, l.skAttr)
	if err != nil {
		return nil, "", err
	}
	if start != nil && start[l.pkAttr].(*types.AttributeValueMemberS).Value != l.pk {
		return nil, "", apperr.InvalidField("cursor", "is not a cursor of this listing")
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.Table, IndexName: &l.index,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": l.pkAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(l.pk)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     &size,
		ExclusiveStartKey:         start,
	})
	if err != nil {
		return nil, "", unavailable(err, "list cases")
	}
	list := make([]cases.Case, 0, len(out.Items))
	for _, item := range out.Items {
		c, err := s.open(ctx, item)
		if err != nil {
			return nil, "", err
		}
		list = append(list, c)
	}
	next, err := encodeCursor(out.LastEvaluatedKey)
	return list, next, err
}

// PurgeDue lists the closed cases whose personal data is due for purging at now: the due months
// up to now, oldest first, at most limit ids. It queries the sparse purge index month by month,
// starting at the oldest month the caller still has to look at, and never scans the table.
func (s *Cases) PurgeDue(ctx context.Context, from, now time.Time, limit int) ([]string, error) {
	var ids []string
	for m := time.Date(from.UTC().Year(), from.UTC().Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(now) && len(ids) < limit; m = m.AddDate(0, 1, 0) {
		var start map[string]types.AttributeValue
		for {
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			out, err := s.DB.Query(cctx, &dynamodb.QueryInput{
				TableName: &s.Table, IndexName: aws.String("gsi4"),
				KeyConditionExpression: aws.String("gsi4pk = :m AND gsi4sk <= :now"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":m": str("PURGE#" + m.Format("2006-01")), ":now": str(now.UTC().Format(time.RFC3339) + "~"),
				},
				ExclusiveStartKey: start,
				Limit:             aws.Int32(int32(limit - len(ids))),
			})
			cancel()
			if err != nil {
				return nil, unavailable(err, "list cases due for purging")
			}
			for _, item := range out.Items {
				var it struct {
					PK string `json:"pk"`
				}
				if err := unmarshal(item, &it); err != nil {
					return nil, err
				}
				ids = append(ids, it.PK[len("CASE#"):])
			}
			if out.LastEvaluatedKey == nil || len(ids) >= limit {
				break
			}
			start = out.LastEvaluatedKey
		}
	}
	return ids, nil
}

// Purge removes the personal data of a closed case (sealed fields, hashes, purge index) and
// records it in the history. Running it again finds nothing to purge and changes nothing.
func (s *Cases) Purge(ctx context.Context, id string, now time.Time) (bool, error) {
	c, _, err := s.Get(ctx, id)
	if err != nil {
		return false, err
	}
	if c.ClosedAt == nil || c.Personal.Empty() {
		return false, nil
	}
	ev, err := marshal(eventItem{PK: "CASE#" + id, SK: eventSK(c.Version + 1), Event: cases.Event{
		Seq: c.Version + 1, At: now, Actor: "retention", Role: "system", From: c.State, To: c.State,
		Detail: "personal data purged after the retention period"}})
	if err != nil {
		return false, err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.TransactWriteItems(cctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.Table, Key: caseKey(id),
			UpdateExpression:          aws.String("SET purged = :yes, version = :next REMOVE sealed, idHash, mobileHash, gsi3pk, gsi3sk, gsi4pk, gsi4sk, purgeAt"),
			ConditionExpression:       aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":yes": &types.AttributeValueMemberBOOL{Value: true}, ":v": num(int64(c.Version)), ":next": num(int64(c.Version + 1))}}},
		{Put: &types.Put{TableName: &s.Table, Item: ev, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		return false, nil // changed meanwhile: the next run looks again
	}
	if err != nil {
		return false, unavailable(err, "purge case")
	}
	return true, nil
}

// SupervisionShards is the number of partitions of the supervision indexes.
const SupervisionShards = 8

func shardOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % SupervisionShards)
}

func shardSuffix(id string) string { return strconv.Itoa(shardOf(id)) }

// OpenShard is the gsi5 partition of an open case.
func OpenShard(id string) string { return "OPEN#" + shardSuffix(id) }

// OverflowShard is the gsi7 partition of a case waiting in a team queue.
func OverflowShard(id string) string { return "OVERFLOW#" + shardSuffix(id) }

// overflowSK orders a team queue: priority cases (elderly, disabled, enterprise projects) first,
// then the oldest.
func overflowSK(c cases.Case) string {
	rank := "1"
	if c.Priority {
		rank = "0"
	}
	return rank + "#" + c.CreatedAt.UTC().Format(time.RFC3339Nano) + "#" + c.ID
}

// AssignedShard is the gsi6 partition of an assigned case.
func AssignedShard(id string) string { return "ASSIGNED#" + shardSuffix(id) }

// Watch lists, shard by shard, the ids of cases whose index key (due time or assignment time) is
// at or before until, at most limit. index is "gsi5" (open cases by due time) or "gsi6" (assigned
// cases by assignment time) or "gsi7" (cases waiting in a team queue, priority first) or "gsi8"
// (closed cases by the due time of their next rating step).
func (s *Cases) Watch(ctx context.Context, index string, until time.Time, limit int) ([]string, error) {
	pkAttr, skAttr, prefix, bound := "gsi5pk", "gsi5sk", "OPEN#", until.UTC().Format(time.RFC3339Nano)+"~"
	switch index {
	case "gsi6":
		pkAttr, skAttr, prefix = "gsi6pk", "gsi6sk", "ASSIGNED#"
	case "gsi8":
		pkAttr, skAttr, prefix = "gsi8pk", "gsi8sk", "RATE#"
	case "gsi7":
		// The team queues, priority first then oldest: every waiting case, whatever until says.
		pkAttr, skAttr, prefix, bound = "gsi7pk", "gsi7sk", "OVERFLOW#", "2"
	}
	return watchShards(ctx, s.DB, s.Table, index, pkAttr, skAttr, prefix, bound, "CASE#", limit)
}

// Patch stores a change made by the system (supervision) to a case read with Peek, leaving its
// sealed personal data as it is; like Update, it fails with a 409 when the case changed meanwhile.
func (s *Cases) Patch(ctx context.Context, c cases.Case, ev cases.Event) error {
	evItem, err := marshal(eventItem{PK: "CASE#" + c.ID, SK: eventSK(ev.Seq), Event: ev})
	if err != nil {
		return err
	}
	declined, err := marshal(struct {
		D []string `json:"d"`
	}{c.Declined})
	if err != nil {
		return err
	}
	set := map[string]types.AttributeValue{
		"state": str(string(c.State)), "version": num(int64(c.Version)), "updatedAt": str(c.UpdatedAt.UTC().Format(time.RFC3339Nano)),
		"superviseLevel": num(int64(c.SuperviseLevel)), "noticePending": num(int64(c.NoticePending)),
		"eventPending": &types.AttributeValueMemberBOOL{Value: true},
	}
	if d, ok := declined["d"]; ok {
		set["declined"] = d
	}
	var remove []string
	if c.Assignee != "" {
		set["assignee"] = str(c.Assignee)
	} else {
		remove = append(remove, "assignee", "gsi2pk", "gsi2sk")
	}
	if c.State != cases.Assigned {
		remove = append(remove, "gsi6pk", "gsi6sk")
	}
	expr, names, values := "SET ", map[string]string{}, map[string]types.AttributeValue{":prev": num(int64(c.Version - 1))}
	i := 0
	for k, v := range set {
		i++
		if i > 1 {
			expr += ", "
		}
		n, val := "#s"+strconv.Itoa(i), ":s"+strconv.Itoa(i)
		names[n], values[val] = k, v
		expr += n + " = " + val
	}
	if len(remove) > 0 {
		expr += " REMOVE "
		for j, k := range remove {
			if j > 0 {
				expr += ", "
			}
			n := "#r" + strconv.Itoa(j)
			names[n] = k
			expr += n
		}
	}
	names["#v"] = "version"
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.TransactWriteItems(cctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.Table, Key: caseKey(c.ID), UpdateExpression: &expr,
			ConditionExpression: aws.String("#v = :prev"), ExpressionAttributeNames: names, ExpressionAttributeValues: values}},
		{Put: &types.Put{TableName: &s.Table, Item: evItem, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		return apperr.New(apperr.Conflict, "stale_version", "the case changed meanwhile")
	}
	if err != nil {
		return unavailable(err, "patch case")
	}
	return nil
}

// NoticeSent clears the pending supervision notice of a case, if it is still that level's.
func (s *Cases) NoticeSent(ctx context.Context, id string, level int) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: caseKey(id),
		UpdateExpression: aws.String("SET noticePending = :zero"), ConditionExpression: aws.String("noticePending = :l"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": num(0), ":l": num(int64(level))}})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return unavailable(err, "clear notice")
	}
	return nil
}
