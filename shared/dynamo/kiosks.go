package dynamo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/kiosk"
)

// Kiosks stores registered kiosks, one item per kiosk keyed by its id.
type Kiosks struct {
	DB    API
	Table string
}

var _ kiosk.Registry = (*Kiosks)(nil)

type kioskItem struct {
	PK           string    `json:"pk"`
	WindowID     string    `json:"windowId"`
	HallID       string    `json:"hallId"`
	UnitID       string    `json:"unitId"`
	Secret       string    `json:"secret"`
	Active       bool      `json:"active"`
	RegisteredAt time.Time `json:"registeredAt"`
}

// Kiosk returns a registered kiosk.
func (s *Kiosks) Kiosk(ctx context.Context, id string) (kiosk.Kiosk, error) {
	var it kioskItem
	if err := getItem(ctx, s.DB, s.Table, key(id, ""), "kiosk", &it); err != nil {
		return kiosk.Kiosk{}, err
	}
	return kiosk.Kiosk{ID: it.PK, WindowID: it.WindowID, HallID: it.HallID, UnitID: it.UnitID,
		Secret: it.Secret, Active: it.Active, RegisteredAt: it.RegisteredAt}, nil
}

// Put registers k, replacing an earlier registration of the same id (re-keying a kiosk).
func (s *Kiosks) Put(ctx context.Context, k kiosk.Kiosk) error {
	item, err := marshal(kioskItem{PK: k.ID, WindowID: k.WindowID, HallID: k.HallID, UnitID: k.UnitID,
		Secret: k.Secret, Active: k.Active, RegisteredAt: k.RegisteredAt})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: item}); err != nil {
		return unavailable(err, "put kiosk")
	}
	return nil
}

// Nonces remembers kiosk request nonces until their expiry; DynamoDB TTL removes them later.
type Nonces struct {
	DB    API
	Table string
	Now   func() time.Time
}

var _ kiosk.NonceStore = (*Nonces)(nil)

// Claim stores the nonce unless it is already held. An expired item that TTL has not yet removed
// does not block a claim.
func (s *Nonces) Claim(ctx context.Context, kioskID, nonce string, until time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.Table,
		Item: map[string]types.AttributeValue{
			"pk":        str(kioskID + "#" + nonce),
			"expiresAt": &types.AttributeValueMemberN{Value: strconv.FormatInt(until.Unix(), 10)},
		},
		ConditionExpression: aws.String("attribute_not_exists(pk) OR expiresAt < :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Now().Unix(), 10)},
		},
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return kiosk.ErrReplayedNonce
	case err != nil:
		return unavailable(err, "claim nonce")
	}
	return nil
}
