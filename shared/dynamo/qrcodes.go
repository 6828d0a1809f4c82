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
)

// The version of a window's QR rating code is kept in the directory beside the window, in an item
// of its own so that reloading the directory never resets it:
//
//	pk QRCODE#<window id>  sk QRCODE  version, rotatedAt, rotatedBy
//
// A window without the item is at version 1.

func qrKey(windowID string) map[string]types.AttributeValue {
	return key("QRCODE#"+windowID, "QRCODE")
}

// QRVersion returns the current version of a window's QR code (1 until it is first rotated).
func (s *Directory) QRVersion(ctx context.Context, windowID string) (int, error) {
	var it struct {
		Version int `json:"version"`
	}
	err := getItem(ctx, s.DB, s.Table, qrKey(windowID), "qr code", &it)
	switch {
	case errNotFound(err):
		return 1, nil
	case err != nil:
		return 0, err
	}
	return it.Version, nil
}

// RotateQR raises the version of a window's QR code, revoking every link made before, and returns
// the new version.
func (s *Directory) RotateQR(ctx context.Context, windowID, by string, now time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: qrKey(windowID),
		UpdateExpression: aws.String("SET version = if_not_exists(version, :one) + :one, rotatedAt = :at, rotatedBy = :by"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1), ":at": str(now.UTC().Format(time.RFC3339Nano)),
			":by": str(by)},
		ReturnValues: types.ReturnValueUpdatedNew})
	if err != nil {
		return 0, unavailable(err, "rotate qr code")
	}
	v, ok := out.Attributes["version"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, errors.New("rotate qr code: no version in the answer")
	}
	n, err := strconv.Atoi(v.Value)
	if err != nil {
		return 0, fmt.Errorf("rotate qr code: version %q: %w", v.Value, err)
	}
	return n, nil
}
