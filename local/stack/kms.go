package stack

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"banban/local/devauth"
	"banban/local/template"
	"banban/shared/keys"
)

// localKey stands in for a KMS key offline: a key file under dir, created once and kept, whose
// file:// URL is what !Ref of the key resolves to (package keys reads it). A symmetric key is 32
// random bytes; a signing key an RSA-2048 private key in PEM.
func localKey(dir, stack string, k template.KMSKey) (string, error) {
	if dir == "" {
		return "", errors.New("the template has KMS keys but no local keys directory is set")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("keys directory: %w", err)
	}
	var (
		name     string
		generate func() ([]byte, error)
	)
	switch {
	case k.KeyUsage == "SIGN_VERIFY" && (k.KeySpec == "RSA_2048" || k.KeySpec == "RSA_3072" || k.KeySpec == "RSA_4096"):
		name = stack + "-" + k.LogicalID + ".pem"
		generate = func() ([]byte, error) {
			priv, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				return nil, err
			}
			der, err := x509.MarshalPKCS8PrivateKey(priv)
			if err != nil {
				return nil, err
			}
			return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
		}
	case k.KeySpec == "SYMMETRIC_DEFAULT" && k.KeyUsage == "ENCRYPT_DECRYPT":
		name = stack + "-" + k.LogicalID + ".key"
		generate = func() ([]byte, error) {
			b := make([]byte, 32)
			_, err := rand.Read(b)
			return b, err
		}
	default:
		return "", fmt.Errorf("no local stand-in for KeySpec %s with KeyUsage %s", k.KeySpec, k.KeyUsage)
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		data, err := generate()
		if err != nil {
			return "", fmt.Errorf("make key: %w", err)
		}
		// Write then link: concurrent provisioners of the same stage keep one key.
		tmp, err := os.CreateTemp(dir, ".key-*")
		if err != nil {
			return "", fmt.Errorf("write key: %w", err)
		}
		if _, err := tmp.Write(data); err != nil {
			return "", errors.Join(fmt.Errorf("write key: %w", err), tmp.Close(), os.Remove(tmp.Name()))
		}
		if err := tmp.Close(); err != nil {
			return "", fmt.Errorf("write key: %w", err)
		}
		if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
			return "", errors.Join(fmt.Errorf("install key: %w", err), os.Remove(tmp.Name()))
		}
		if err := os.Remove(tmp.Name()); err != nil {
			return "", fmt.Errorf("install key: %w", err)
		}
	} else if err != nil {
		return "", fmt.Errorf("key file: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("key path: %w", err)
	}
	return keys.FileScheme + abs, nil
}

// Authority returns the dev token authority of a template's stack: it signs and verifies with the
// local stand-in of the template's signing key (the first KMS key with KeyUsage SIGN_VERIFY), the
// very key the token-issuing function uses offline, so its tokens pass the local authorizer and
// tokens minted by the CLI are indistinguishable from them.
func Authority(t *template.Template, keysDir, stackName, issuer, audience string) (*devauth.Authority, error) {
	for _, k := range t.KMSKeys {
		if k.KeyUsage != "SIGN_VERIFY" {
			continue
		}
		ref, err := localKey(keysDir, stackName, k)
		if err != nil {
			return nil, err
		}
		return devauth.Open(strings.TrimPrefix(ref, keys.FileScheme), issuer, audience)
	}
	return devauth.Open(filepath.Join(keysDir, "jwt.pem"), issuer, audience)
}
