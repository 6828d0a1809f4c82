package dynamo

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/apperr"
	"banban/shared/idempotency"
)

// Idempotency keeps idempotency records (pk IDEM#<key>, sk IDEM) in a table with TTL on
// expiresAt.
type Idempotency struct {
	DB    API
	Table string
	Now   func() time.Time
	// TTL is how long a completed answer is kept (default 24 h); InProgressTTL how long a first
	// attempt may run before a retry may take over (default 60 s).
	TTL, InProgressTTL time.Duration
}

var _ idempotency.Store = (*Idempotency)(nil)

type idemItem struct {
	PK         string `json:"pk"`
	SK         string `json:"sk"`
	Status     string `json:"status"`
	Hash       string `json:"hash"`
	RespStatus int    `json:"respStatus,omitempty"`
	RespBody   string `json:"respBody,omitempty"`
	ExpiresAt  int64  `json:"expiresAt"`
	InProgExp  int64  `json:"inProgressExpiresAt,omitempty"`
}

func idemKey(k string) map[string]types.AttributeValue { return key("IDEM#"+k, "IDEM") }

func (s *Idempotency) ttls() (time.Duration, time.Duration) {
	ttl, prog := s.TTL, s.InProgressTTL
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	if prog <= 0 {
		prog = time.Minute
	}
	return ttl, prog
}

// Claim puts an in-progress record unless a live one exists.
func (s *Idempotency) Claim(ctx context.Context, k, hash string) (idempotency.Record, bool, error) {
	now := s.Now()
	ttl, prog := s.ttls()
	item, err := marshal(idemItem{PK: "IDEM#" + k, SK: "IDEM", Status: idempotency.InProgress, Hash: hash,
		ExpiresAt: now.Add(ttl).Unix(), InProgExp: now.Add(prog).Unix()})
	if err != nil {
		return idempotency.Record{}, false, err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.PutItem(cctx, &dynamodb.PutItemInput{
		TableName: &s.Table, Item: item,
		// A record past its TTL, or a first attempt that died in progress, no longer holds the key.
		ConditionExpression:                 aws.String("attribute_not_exists(pk) OR expiresAt < :now OR (#s = :prog AND inProgressExpiresAt < :now)"),
		ExpressionAttributeNames:            map[string]string{"#s": "status"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":now": num(now.Unix()), ":prog": str(idempotency.InProgress)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		if failed.Item == nil {
			rec, err := s.Get(ctx, k)
			return rec, false, err
		}
		rec, err := record(failed.Item)
		return rec, false, err
	case err != nil:
		return idempotency.Record{}, false, unavailable(err, "claim idempotency key")
	}
	return idempotency.Record{}, true, nil
}

func record(item map[string]types.AttributeValue) (idempotency.Record, error) {
	var it idemItem
	if err := unmarshal(item, &it); err != nil {
		return idempotency.Record{}, err
	}
	return idempotency.Record{Status: it.Status, Hash: it.Hash,
		Response: idempotency.Response{Status: it.RespStatus, Body: it.RespBody}}, nil
}

// Get reads a record (strongly consistent).
func (s *Idempotency) Get(ctx context.Context, k string) (idempotency.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: idemKey(k), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return idempotency.Record{}, unavailable(err, "read idempotency record")
	}
	if out.Item == nil {
		return idempotency.Record{}, apperr.New(apperr.NotFound, "not_found", "no idempotency record")
	}
	return record(out.Item)
}

// Complete keeps the answer.
func (s *Idempotency) Complete(ctx context.Context, k string, r idempotency.Response) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: idemKey(k),
		UpdateExpression:          aws.String("SET #s = :done, respStatus = :st, respBody = :body REMOVE inProgressExpiresAt"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":done": str(idempotency.Completed), ":st": num(int64(r.Status)), ":body": str(r.Body)},
	})
	if err != nil {
		return unavailable(err, "complete idempotency record")
	}
	return nil
}

// Release deletes the record.
func (s *Idempotency) Release(ctx context.Context, k string) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.Table, Key: idemKey(k)}); err != nil {
		return unavailable(err, "release idempotency key")
	}
	return nil
}
