package dynamo

import (
	"errors"

	"github.com/aws/smithy-go"
)

// isThrottlingCode recognises throttling reported only by error code (ThrottlingException).
func isThrottlingCode(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "TransactionInProgressException":
		return true
	}
	return false
}
