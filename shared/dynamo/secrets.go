package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/pii"
)

// Secrets keeps wrapped keys in a table (pk SECRET#<name>, sk SECRET): only the master key can
// unwrap them, so the table never holds a usable key.
type Secrets struct {
	DB    API
	Table string
}

// Names of the stored keys.
const (
	PIIHashKey     = "pii-hash-key"     // keyed hashes of ID numbers and phones
	SubjectHashKey = "subject-hash-key" // pseudonymous subjects of mini-program users
	QRLinkKey      = "qr-link-key"      // signs the links of windows' QR rating codes
	ClientHashKey  = "client-hash-key"  // keyed hashes of client addresses for rate limits
	RatingIDKey    = "rating-id-key"    // ids of case ratings, keyed hashes of the case ids
)

// Key returns the named key, creating it on first use. Every function instance must use the same
// key, so it is stored (wrapped by the master key) rather than made per cold start; concurrent
// first uses agree through a conditional put.
func (s *Secrets) Key(ctx context.Context, name string, keys pii.KeyService) ([]byte, error) {
	k := key("SECRET#"+name, "SECRET")
	for range 2 {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := s.DB.GetItem(cctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: k, ConsistentRead: aws.Bool(true)})
		cancel()
		if err != nil {
			return nil, unavailable(err, "read hash key")
		}
		if out.Item != nil {
			w, ok := out.Item["wrapped"].(*types.AttributeValueMemberB)
			if !ok {
				return nil, errors.New("hash key item has no wrapped key")
			}
			return keys.Decrypt(ctx, w.Value)
		}
		plain, wrapped, err := keys.GenerateDataKey(ctx)
		if err != nil {
			return nil, fmt.Errorf("make hash key: %w", err)
		}
		item := map[string]types.AttributeValue{"wrapped": &types.AttributeValueMemberB{Value: wrapped}}
		for name, v := range k {
			item[name] = v
		}
		cctx, cancel = context.WithTimeout(ctx, callTimeout)
		_, err = s.DB.PutItem(cctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: item,
			ConditionExpression: aws.String("attribute_not_exists(pk)")})
		cancel()
		var failed *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return plain, nil
		case errors.As(err, &failed):
			continue // another instance stored one first: use that
		default:
			return nil, unavailable(err, "store hash key")
		}
	}
	return nil, errors.New("hash key: could neither read nor store it")
}
