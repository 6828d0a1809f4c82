// Package keys resolves the master keys named in configuration: a KMS key (id, ARN or alias) on
// AWS, or file://path — the offline local stack's stand-in for KMS, a key file it creates. The
// same binary therefore runs against either, chosen by configuration alone.
package keys

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"banban/shared/pii"
)

// FileScheme marks a local key file.
const FileScheme = "file://"

// KMSAPI is the part of the KMS client used here; *kms.Client satisfies it.
type KMSAPI interface {
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, opts ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

var _ KMSAPI = (*kms.Client)(nil)

// callTimeout bounds every KMS call.
const callTimeout = 5 * time.Second

// KMS wraps data keys with a KMS key.
type KMS struct {
	Client KMSAPI
	KeyID  string
}

// GenerateDataKey asks KMS for an AES-256 data key.
func (k KMS) GenerateDataKey(ctx context.Context) ([]byte, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := k.Client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &k.KeyID, KeySpec: kmstypes.DataKeySpecAes256})
	if err != nil {
		return nil, nil, fmt.Errorf("kms generate data key: %w", err)
	}
	return out.Plaintext, out.CiphertextBlob, nil
}

// Decrypt unwraps a data key with KMS.
func (k KMS) Decrypt(ctx context.Context, wrapped []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := k.Client.Decrypt(ctx, &kms.DecryptInput{KeyId: &k.KeyID, CiphertextBlob: wrapped})
	if err != nil {
		return nil, fmt.Errorf("kms decrypt: %w", err)
	}
	return out.Plaintext, nil
}

// DataKeys returns the key service for ref.
func DataKeys(ref string, cfg aws.Config) (pii.KeyService, error) {
	if path, ok := strings.CutPrefix(ref, FileScheme); ok {
		master, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("local master key: %w", err)
		}
		if len(master) != 32 {
			return nil, fmt.Errorf("local master key %s: want 32 bytes, have %d", path, len(master))
		}
		return pii.LocalKeys{Master: master}, nil
	}
	if ref == "" {
		return nil, fmt.Errorf("no master key configured")
	}
	return KMS{Client: kms.NewFromConfig(cfg), KeyID: ref}, nil
}
