package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/calendar"
	"banban/shared/rating"
	"banban/shared/rectification"
)

// Ratings stores ratings and their monthly window counters in one table:
//
//	pk RATING#<id>     sk RATING           the rating
//	pk WINDOW#<id>     sk MONTH#<yyyy-mm>  counters n1..n5 and total
//
// A rating and the counter increments it causes are written in one transaction whose put is
// conditional on the rating being new: a retried or redelivered rating fails that condition and
// adds nothing, so every rating is counted exactly once.
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
}

// maxTransactItems is DynamoDB's limit of items in one TransactWriteItems call.
const maxTransactItems = 100

// MaxRecordBatch is the most ratings Record accepts at once: with a ticket marker, a
// rectification and a counter per rating at worst, a batch fills one transaction.
const MaxRecordBatch = maxTransactItems / 4

// RecordResult says which ratings were new and which had been stored before.
type RecordResult struct {
	Stored     []string
	Duplicates []string
}

type ratingItem struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
	rating.Rating
}

func ratingKey(id string) map[string]types.AttributeValue { return key("RATING#"+id, "RATING") }

func counterKey(k rating.CounterKey) map[string]types.AttributeValue {
	return key("WINDOW#"+k.WindowID, "MONTH#"+k.Month.String())
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
	for attempt := 1; len(pending) > 0; attempt++ {
		in, owners, err := s.transaction(ctx, pending)
		if err != nil {
			return RecordResult{}, err
		}
		err = s.write(ctx, in)
		if err == nil {
			for _, r := range pending {
				res.Stored = append(res.Stored, r.ID)
			}
			return res, nil
		}
		dups, retryable := duplicatesIn(err, owners)
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
		if !retryable || attempt >= attempts {
			return RecordResult{}, fmt.Errorf("record %d ratings (attempt %d): %w", len(pending), attempt, err)
		}
		select {
		case <-ctx.Done():
			return RecordResult{}, fmt.Errorf("record ratings: %w", ctx.Err())
		case <-time.After(pause):
		}
		pause *= 2
	}
	return res, nil
}

func (s *Ratings) write(ctx context.Context, in *dynamodb.TransactWriteItemsInput) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.TransactWriteItems(ctx, in)
	return err
}

// transaction puts each pending rating, a marker per queue ticket (one service, one rating) and
// adds to each counter once. owners maps the index of each rating and marker item to its rating
// in pending, so a cancellation reason names the rating at fault.
func (s *Ratings) transaction(ctx context.Context, pending []rating.Rating) (*dynamodb.TransactWriteItemsInput, map[int]int, error) {
	items := make([]types.TransactWriteItem, 0, 3*len(pending))
	owners := map[int]int{}
	for i, r := range pending {
		item, err := marshal(ratingItem{PK: "RATING#" + r.ID, SK: "RATING", Rating: r})
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
		if s.Rectify != nil {
			t, ok, err := s.Rectify(ctx, r)
			if err != nil {
				return nil, nil, err
			}
			if ok {
				item, err := rectificationItem(t)
				if err != nil {
					return nil, nil, err
				}
				owners[len(items)] = i
				items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: item,
					ConditionExpression: aws.String("attribute_not_exists(pk)")}})
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
	now := s.Now().UTC().Format(time.RFC3339Nano)
	for ck, c := range rating.Tally(pending) {
		values := map[string]types.AttributeValue{
			":total": num(c.Total()),
			":now":   str(now),
		}
		expr := "SET updatedAt = :now ADD #total :total"
		names := map[string]string{"#total": "total"}
		for _, l := range rating.Levels {
			if c[l] == 0 {
				continue
			}
			n := "n" + strconv.Itoa(int(l))
			expr += ", #" + n + " :" + n
			names["#"+n] = n
			values[":"+n] = num(c[l])
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 &s.Table,
			Key:                       counterKey(ck),
			UpdateExpression:          &expr,
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}})
	}
	return &dynamodb.TransactWriteItemsInput{TransactItems: items}, owners, nil
}

// duplicatesIn reads a cancelled transaction: which ratings (by their index in pending, through
// owners) failed a condition, and whether the cancellation is worth retrying as it is.
func duplicatesIn(err error, owners map[int]int) (map[int]bool, bool) {
	var cancelled *types.TransactionCanceledException
	if !errors.As(err, &cancelled) {
		return nil, isThrottlingCode(err) || isTransient(err)
	}
	dups := map[int]bool{}
	retryable := false
	for i, reason := range cancelled.CancellationReasons {
		code := aws.ToString(reason.Code)
		switch {
		case code == "ConditionalCheckFailed":
			if r, ok := owners[i]; ok {
				dups[r] = true
			}
		case code == "TransactionConflict", code == "ThrottlingError", code == "ProvisionedThroughputExceeded":
			retryable = true
		}
	}
	return dups, retryable
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
	Appealed int64 `json:"appealed"`
	N1       int64 `json:"n1"`
	N2       int64 `json:"n2"`
	N3       int64 `json:"n3"`
	N4       int64 `json:"n4"`
	N5       int64 `json:"n5"`
	Total    int64 `json:"total"`
}

// WindowMonth returns a window's counts for a month; a month without ratings has zero counts.
func (s *Ratings) WindowMonth(ctx context.Context, windowID string, m calendar.Month) (rating.Counts, error) {
	c, _, err := s.WindowFigures(ctx, windowID, m)
	return c, err
}

// WindowFigures returns a window's counts for a month and how many of its ratings upheld
// appeals took out of them, in one read.
func (s *Ratings) WindowFigures(ctx context.Context, windowID string, m calendar.Month) (rating.Counts, int64, error) {
	var it counterItem
	err := getItem(ctx, s.DB, s.Table, counterKey(rating.CounterKey{WindowID: windowID, Month: m}), "counter", &it)
	if errNotFound(err) {
		return rating.Counts{}, 0, nil
	}
	if err != nil {
		return rating.Counts{}, 0, err
	}
	return rating.Counts{0, it.N1, it.N2, it.N3, it.N4, it.N5}, it.Appealed, nil
}

// Rating returns one stored rating.
func (s *Ratings) Rating(ctx context.Context, id string) (rating.Rating, error) {
	var it ratingItem
	if err := getItem(ctx, s.DB, s.Table, ratingKey(id), "rating", &it); err != nil {
		return rating.Rating{}, err
	}
	return it.Rating, nil
}
