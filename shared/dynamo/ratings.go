package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/calendar"
	"banban/shared/rating"
	"banban/shared/rectification"
)

// Ratings stores ratings, their monthly counters and the integrity watch in one table:
//
//	pk RATING#<id>               sk RATING           the rating (gsi1 FLAGGED#<hall>, ratedAt#id while
//	                                                 its flag awaits the city's review)
//	pk <kind>#<id>               sk MONTH#<yyyy-mm>  counters n1..n5, total, flagged, excluded,
//	                                                 appealed, defaulted; kind WINDOW, STAFF,
//	                                                 UNITCASES or HALLCASES (see rating.CounterKind)
//	pk WATCH#<kiosk:id|window:id> sk WATCH           a source's recent ratings, for the watch
//	pk TICKET#<hall>#<date>#<no> sk TICKET           one service, one rating
//	pk AUDIT#RATING#<id>         sk <at>#<action>    decisions taken on a rating
//
// A rating, the counter increments it causes and its source's history are written in one
// transaction whose put is conditional on the rating being new: a retried or redelivered rating
// fails that condition and adds nothing, so every rating is counted exactly once.
type Ratings struct {
	DB    API
	Table string
	Now   func() time.Time
	// Attempts bounds the transaction retries after conflicts or throttling (default 5).
	Attempts int
	// Backoff is the first pause between attempts, doubled each time (default 20ms).
	Backoff time.Duration
	// Rectify, when set, names the ratings that open a rectification ticket (average and poor
	// ones); each ticket is written in the rating's own transaction, so it opens exactly once.
	Rectify func(ctx context.Context, r rating.Rating) (rectification.Ticket, bool, error)
	// Watch flags ratings beyond the integrity rules (防刷评); the zero Watch flags nothing.
	Watch rating.Watch
}

// maxTransactItems is DynamoDB's limit of items in one TransactWriteItems call.
const maxTransactItems = 100

// MaxRecordBatch is the most ratings Record accepts at once: with a ticket marker, a
// rectification, three counters and two watched sources per rating at worst, a batch fills one
// transaction.
const MaxRecordBatch = maxTransactItems / 8

// RecordResult says which ratings were new and which had been stored before, and which of the
// new ones the watch flagged.
type RecordResult struct {
	Stored     []string
	Duplicates []string
	Flagged    []string
}

type ratingItem struct {
	PK     string `json:"pk"`
	SK     string `json:"sk"`
	GSI1PK string `json:"gsi1pk,omitempty"`
	GSI1SK string `json:"gsi1sk,omitempty"`
	rating.Rating
}

func ratingKey(id string) map[string]types.AttributeValue { return key("RATING#"+id, "RATING") }

func counterKey(k rating.CounterKey) map[string]types.AttributeValue {
	return key(string(k.Kind)+"#"+k.ID, "MONTH#"+k.Month.String())
}

func watchKey(source string) map[string]types.AttributeValue { return key("WATCH#"+source, "WATCH") }

// watchItem is a source's recent history; version guards concurrent writers.
type watchItem struct {
	PK      string        `json:"pk"`
	SK      string        `json:"sk"`
	Marks   []rating.Mark `json:"marks"`
	Version int64         `json:"version"`
}

// counterUpdate adds f to a monthly counter in table, at the time given.
func counterUpdate(table string, k rating.CounterKey, f rating.Figures, at time.Time) *types.Update {
	values := map[string]types.AttributeValue{":now": str(at.UTC().Format(time.RFC3339Nano))}
	names := map[string]string{}
	var adds []string
	add := func(name string, n int64) {
		if n == 0 {
			return
		}
		names["#"+name] = name
		values[":"+name] = num(n)
		adds = append(adds, "#"+name+" :"+name)
	}
	add("total", f.Counts.Total())
	for _, l := range rating.Levels {
		add("n"+strconv.Itoa(int(l)), f.Counts[l])
	}
	add("flagged", f.Flagged)
	add("excluded", f.Excluded)
	add("appealed", f.Appealed)
	add("defaulted", f.Defaulted)
	add("rectified", f.Rectified)
	add("overdue", f.Overdue)
	expr := "SET updatedAt = :now"
	if len(adds) > 0 {
		expr += " ADD " + strings.Join(adds, ", ")
	}
	u := &types.Update{TableName: &table, Key: counterKey(k), UpdateExpression: &expr, ExpressionAttributeValues: values}
	if len(names) > 0 {
		u.ExpressionAttributeNames = names
	}
	return u
}

// Record stores ratings not stored before and adds them to their counters, in one transaction.
// It returns an error only when the ratings could not be recorded; then none of them were.
func (s *Ratings) Record(ctx context.Context, rs []rating.Rating) (RecordResult, error) {
	if len(rs) > MaxRecordBatch {
		return RecordResult{}, fmt.Errorf("record %d ratings: at most %d at once", len(rs), MaxRecordBatch)
	}
	var res RecordResult
	pending := make([]rating.Rating, 0, len(rs))
	seen := make(map[string]bool, len(rs))
	for _, r := range rs {
		r.Flag = nil // the watch flags, never the sender
		if seen[r.ID] {
			res.Duplicates = append(res.Duplicates, r.ID)
			continue
		}
		seen[r.ID] = true
		pending = append(pending, r)
	}
	attempts, pause := s.Attempts, s.Backoff
	if attempts <= 0 {
		attempts = 5
	}
	if pause <= 0 {
		pause = 20 * time.Millisecond
	}
	// attempt counts the tries after throttling, contention the re-reads after other writers'
	// changes; dropping duplicates always shrinks the batch, so every round makes progress.
	// The sources' history is read once, and again only after another writer changed it: a batch
	// that lost its duplicates still has its history covered.
	attempt, contention := 1, 0
	var history sourceHistory
	stale := true
	for len(pending) > 0 {
		if stale {
			var err error
			if history, err = s.history(ctx, pending); err != nil {
				return RecordResult{}, err
			}
			stale = false
		}
		judged, marks := s.Watch.Judge(history.marks, pending, s.Now())
		in, owners, err := s.transaction(ctx, judged, marks, history.versions)
		if err != nil {
			return RecordResult{}, err
		}
		err = s.write(ctx, in)
		if err == nil {
			for _, r := range judged {
				res.Stored = append(res.Stored, r.ID)
				if r.Flag != nil {
					res.Flagged = append(res.Flagged, r.ID)
				}
			}
			return res, nil
		}
		dups, why := duplicatesIn(err, owners)
		if len(dups) > 0 {
			// Those ratings were stored earlier, or their service was rated already (the same
			// queue ticket): drop them and write the rest at once.
			kept := pending[:0]
			for i, r := range pending {
				if dups[i] {
					res.Duplicates = append(res.Duplicates, r.ID)
				} else {
					kept = append(kept, r)
				}
			}
			pending = kept
			continue
		}
		var wait time.Duration
		switch {
		case why == contended && contention < maxContention:
			// Another writer changed a counter or a source's history meanwhile: it made progress,
			// so read again after a short random pause that keeps writers from meeting again.
			contention++
			stale = true
			wait = time.Duration(rand.Int64N(int64(contentionPause)))
		case why == throttled && attempt < attempts:
			attempt++
			wait, pause = pause, pause*2
		default:
			return RecordResult{}, fmt.Errorf("record %d ratings (attempt %d, %d contended): %w", len(pending), attempt, contention, err)
		}
		select {
		case <-ctx.Done():
			return RecordResult{}, fmt.Errorf("record ratings: %w", ctx.Err())
		case <-time.After(wait):
		}
	}
	return res, nil
}

func (s *Ratings) write(ctx context.Context, in *dynamodb.TransactWriteItemsInput) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.TransactWriteItems(ctx, in)
	return err
}

// sourceHistory is what the watch knows of the sources of a batch, and the versions read.
type sourceHistory struct {
	marks    map[string][]rating.Mark
	versions map[string]int64
}

// history reads the recent history of the batch's sources, in one call; nothing when the watch
// is off.
func (s *Ratings) history(ctx context.Context, rs []rating.Rating) (sourceHistory, error) {
	h := sourceHistory{marks: map[string][]rating.Mark{}, versions: map[string]int64{}}
	if !s.Watch.On() {
		return h, nil
	}
	var keys []map[string]types.AttributeValue
	for _, r := range rs {
		for _, src := range r.Sources() {
			if _, ok := h.versions[src]; !ok {
				h.versions[src] = 0
				keys = append(keys, watchKey(src))
			}
		}
	}
	items, err := batchGet(ctx, s.DB, s.Table, keys)
	if err != nil {
		return sourceHistory{}, err
	}
	for _, item := range items {
		var it watchItem
		if err := unmarshal(item, &it); err != nil {
			return sourceHistory{}, err
		}
		src := strings.TrimPrefix(it.PK, "WATCH#")
		h.marks[src], h.versions[src] = it.Marks, it.Version
	}
	return h, nil
}

// transaction puts each pending rating, a marker per queue ticket (one service, one rating), each
// source's new history (conditional on the version read) and adds to each counter once. owners
// maps the index of each rating and marker item to its rating in pending, so a cancellation
// reason names the rating at fault.
func (s *Ratings) transaction(ctx context.Context, pending []rating.Rating, marks map[string][]rating.Mark, versions map[string]int64) (*dynamodb.TransactWriteItemsInput, map[int]int, error) {
	items := make([]types.TransactWriteItem, 0, 3*len(pending))
	owners := map[int]int{}
	for i, r := range pending {
		it := ratingItem{PK: "RATING#" + r.ID, SK: "RATING", Rating: r}
		if r.Flag != nil {
			// Listed for the city's review, by hall, oldest first.
			it.GSI1PK, it.GSI1SK = "FLAGGED#"+r.HallID, r.RatedAt.UTC().Format(time.RFC3339Nano)+"#"+r.ID
		}
		item, err := marshal(it)
		if err != nil {
			return nil, nil, err
		}
		item["month"] = str(r.Month().String())
		owners[len(items)] = i
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName:           &s.Table,
			Item:                item,
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}})
		if s.Rectify != nil && r.Flag == nil {
			// A flagged rating opens its ticket only if the city's review counts it.
			put, err := s.rectificationPut(ctx, r)
			if err != nil {
				return nil, nil, err
			}
			if put != nil {
				owners[len(items)] = i
				items = append(items, types.TransactWriteItem{Put: put})
			}
		}
		if r.Ticket != "" {
			// Tickets restart every day in every hall.
			owners[len(items)] = i
			items = append(items, types.TransactWriteItem{Put: &types.Put{
				TableName:           &s.Table,
				Item:                key("TICKET#"+r.HallID+"#"+calendar.DateOf(r.RatedAt).String()+"#"+r.Ticket, "TICKET"),
				ConditionExpression: aws.String("attribute_not_exists(pk)"),
			}})
		}
	}
	for src, m := range marks {
		item, err := marshal(watchItem{PK: "WATCH#" + src, SK: "WATCH", Marks: m, Version: versions[src] + 1})
		if err != nil {
			return nil, nil, err
		}
		put := &types.Put{TableName: &s.Table, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}
		if v := versions[src]; v > 0 {
			put.ConditionExpression = aws.String("version = :v")
			put.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(v)}
		}
		items = append(items, types.TransactWriteItem{Put: put})
	}
	now := s.Now()
	for ck, f := range rating.Tally(pending) {
		items = append(items, types.TransactWriteItem{Update: counterUpdate(s.Table, ck, f, now)})
	}
	return &dynamodb.TransactWriteItemsInput{TransactItems: items}, owners, nil
}

// rectificationPut is the conditional put of r's rectification ticket, nil when r needs none.
func (s *Ratings) rectificationPut(ctx context.Context, r rating.Rating) (*types.Put, error) {
	t, ok, err := s.Rectify(ctx, r)
	if err != nil || !ok {
		return nil, err
	}
	item, err := rectificationItem(t)
	if err != nil {
		return nil, err
	}
	return &types.Put{TableName: &s.Table, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}, nil
}

// Why a transaction failed, when not for duplicates.
type failure int

const (
	fatal     failure = iota // retrying the same cannot help
	contended                // another writer touched the same items meanwhile
	throttled                // DynamoDB was busy or failed inside
)

// maxContention bounds the re-reads after other writers' changes, and contentionPause the
// random pause before each; a writer that loses a race lets the winner through, so under any
// contention every round stores someone's batch.
const (
	maxContention   = 30
	contentionPause = 30 * time.Millisecond
)

// duplicatesIn reads a cancelled transaction: which ratings (by their index in pending, through
// owners) failed a condition, and otherwise why it failed.
func duplicatesIn(err error, owners map[int]int) (map[int]bool, failure) {
	var cancelled *types.TransactionCanceledException
	if !errors.As(err, &cancelled) {
		var conflict *types.TransactionConflictException
		switch {
		case errors.As(err, &conflict):
			return nil, contended
		case isThrottlingCode(err) || isTransient(err):
			return nil, throttled
		}
		return nil, fatal
	}
	dups := map[int]bool{}
	why := fatal
	for i, reason := range cancelled.CancellationReasons {
		code := aws.ToString(reason.Code)
		switch {
		case code == "ConditionalCheckFailed":
			if r, ok := owners[i]; ok {
				dups[r] = true
			} else {
				why = contended // a source's history changed since it was read: read it again
			}
		case code == "TransactionConflict":
			why = contended
		case code == "ThrottlingError", code == "ProvisionedThroughputExceeded":
			if why == fatal {
				why = throttled
			}
		}
	}
	return dups, why
}

// isTransient recognises errors the SDK gave up retrying but a later attempt may pass.
func isTransient(err error) bool {
	var conflict *types.TransactionConflictException
	var inProgress *types.TransactionInProgressException
	var internal *types.InternalServerError
	return errors.As(err, &conflict) || errors.As(err, &inProgress) || errors.As(err, &internal)
}

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

type counterItem struct {
	PK        string `json:"pk"`
	SK        string `json:"sk"`
	N1        int64  `json:"n1"`
	N2        int64  `json:"n2"`
	N3        int64  `json:"n3"`
	N4        int64  `json:"n4"`
	N5        int64  `json:"n5"`
	Flagged   int64  `json:"flagged"`
	Excluded  int64  `json:"excluded"`
	Appealed  int64  `json:"appealed"`
	Defaulted int64  `json:"defaulted"`
	Rectified int64  `json:"rectified"`
	Overdue   int64  `json:"overdue"`
}

// Figures reads monthly counters, any number in batches; a counter never written reads as zero.
// This is the one read behind every statistic: a unit's or a hall's figure is the roll-up of its
// windows' and case counters, so no counter is hit by every rating of a unit.
func (s *Ratings) Figures(ctx context.Context, keys []rating.CounterKey) (map[rating.CounterKey]rating.Figures, error) {
	out := make(map[rating.CounterKey]rating.Figures, len(keys))
	byKey := make(map[[2]string]rating.CounterKey, len(keys))
	var ks []map[string]types.AttributeValue
	for _, k := range keys {
		out[k] = rating.Figures{}
		pk, sk := string(k.Kind)+"#"+k.ID, "MONTH#"+k.Month.String()
		if _, dup := byKey[[2]string{pk, sk}]; !dup {
			byKey[[2]string{pk, sk}] = k
			ks = append(ks, key(pk, sk))
		}
	}
	items, err := batchGet(ctx, s.DB, s.Table, ks)
	if err != nil {
		return nil, err
	}
	for _, item := range items {
		var it counterItem
		if err := unmarshal(item, &it); err != nil {
			return nil, err
		}
		out[byKey[[2]string{it.PK, it.SK}]] = rating.Figures{Counts: rating.Counts{0, it.N1, it.N2, it.N3, it.N4, it.N5},
			Flagged: it.Flagged, Excluded: it.Excluded, Appealed: it.Appealed, Defaulted: it.Defaulted,
			Rectified: it.Rectified, Overdue: it.Overdue}
	}
	return out, nil
}

// WindowMonth returns a window's counted ratings for a month; a month without ratings has zero
// counts.
func (s *Ratings) WindowMonth(ctx context.Context, windowID string, m calendar.Month) (rating.Counts, error) {
	k := rating.CounterKey{Kind: rating.WindowCounter, ID: windowID, Month: m}
	figs, err := s.Figures(ctx, []rating.CounterKey{k})
	return figs[k].Counts, err
}

// Rating returns one stored rating.
func (s *Ratings) Rating(ctx context.Context, id string) (rating.Rating, error) {
	var it ratingItem
	if err := getItem(ctx, s.DB, s.Table, ratingKey(id), "rating", &it); err != nil {
		return rating.Rating{}, err
	}
	return it.Rating, nil
}
