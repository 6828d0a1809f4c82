package stack_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"banban/local/stack"
)

func TestSucceededMessages(t *testing.T) {
	msgs := []sqstypes.Message{{MessageId: aws.String("a")}, {MessageId: aws.String("b")}, {MessageId: aws.String("c")}}
	ids := func(ms []sqstypes.Message) string {
		s := ""
		for _, m := range ms {
			s += *m.MessageId
		}
		return s
	}
	for resp, want := range map[string]string{
		``:                         "abc",
		`null`:                     "abc",
		`{}`:                       "abc",
		`{"batchItemFailures":[]}`: "abc",
		`{"batchItemFailures":[{"itemIdentifier":"b"}]}`: "ac",
	} {
		got, err := stack.SucceededMessages(msgs, []byte(resp))
		if err != nil || ids(got) != want {
			t.Errorf("%q: %q %v, want %q", resp, ids(got), err, want)
		}
	}
	for _, resp := range []string{`{"batchItemFailures":[{"itemIdentifier":"zzz"}]}`,
		`{"batchItemFailures":[{"itemIdentifier":""}]}`, `"nonsense"`} {
		if _, err := stack.SucceededMessages(msgs, []byte(resp)); !errors.Is(err, stack.ErrBatchFailed) {
			t.Errorf("%q: %v, want ErrBatchFailed", resp, err)
		}
	}
}
