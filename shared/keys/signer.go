package keys

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"banban/shared/token"
)

// KMSSigner signs token digests with an asymmetric KMS key (RSA, SIGN_VERIFY).
type KMSSigner struct {
	Client interface {
		Sign(ctx context.Context, in *kms.SignInput, opts ...func(*kms.Options)) (*kms.SignOutput, error)
	}
	KeyRef string
	Public *rsa.PublicKey
}

// KeyID is the thumbprint of the public key (stable across key aliases).
func (k KMSSigner) KeyID() string { return token.KeyIDOf(k.Public) }

// PublicKey is the key's public half, read once at cold start.
func (k KMSSigner) PublicKey() *rsa.PublicKey { return k.Public }

// SignDigest asks KMS to sign a SHA-256 digest.
func (k KMSSigner) SignDigest(ctx context.Context, digest []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := k.Client.Sign(ctx, &kms.SignInput{KeyId: &k.KeyRef, Message: digest,
		MessageType: kmstypes.MessageTypeDigest, SigningAlgorithm: kmstypes.SigningAlgorithmSpecRsassaPkcs1V15Sha256})
	if err != nil {
		return nil, fmt.Errorf("kms sign: %w", err)
	}
	return out.Signature, nil
}

// Signer returns the token signer for ref: a KMS key, or file:// of a PEM private key offline.
func Signer(ctx context.Context, ref string, cfg aws.Config) (token.Signer, error) {
	if path, ok := strings.CutPrefix(ref, FileScheme); ok {
		key, err := ReadRSAKey(path)
		if err != nil {
			return nil, err
		}
		return token.LocalSigner{Key: key}, nil
	}
	if ref == "" {
		return nil, errors.New("no token signing key configured")
	}
	client := kms.NewFromConfig(cfg)
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := client.GetPublicKey(cctx, &kms.GetPublicKeyInput{KeyId: &ref})
	if err != nil {
		return nil, fmt.Errorf("kms public key: %w", err)
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("kms public key: %w", err)
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("kms signing key is not RSA")
	}
	return KMSSigner{Client: client, KeyRef: ref, Public: rsaPub}, nil
}

// ReadRSAKey reads an RSA private key from a PEM file (PKCS#8 or PKCS#1).
func ReadRSAKey(path string) (*rsa.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("signing key %s: no PEM block", path)
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	rsaKey, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s is not RSA", path)
	}
	return rsaKey, nil
}
