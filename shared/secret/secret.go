// Package secret resolves secrets named in configuration: "ssm:<parameter name>" reads an SSM
// Parameter Store SecureString once per cold start; "plain:<value>" is a literal, for the offline
// local stack only. Secrets never appear in the template or the environment on AWS.
package secret

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Resolve returns the secret named by ref.
func Resolve(ctx context.Context, ref string, cfg aws.Config) (string, error) {
	switch {
	case strings.HasPrefix(ref, "plain:"):
		return strings.TrimPrefix(ref, "plain:"), nil
	case strings.HasPrefix(ref, "ssm:"):
		name := strings.TrimPrefix(ref, "ssm:")
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		out, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: &name, WithDecryption: aws.Bool(true)})
		if err != nil {
			return "", fmt.Errorf("read secret %s: %w", name, err)
		}
		return aws.ToString(out.Parameter.Value), nil
	}
	return "", errors.New("a secret reference must start with ssm or plain and a colon")
}
