package stack

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"banban/local/template"
	"banban/shared/keys"
)

func TestLocalKMSKeysAreCreatedOnceAndReadable(t *testing.T) {
	dir := t.TempDir()
	sym := template.KMSKey{LogicalID: "PiiKey", KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT"}
	ref, err := localKey(dir, "banban-t", sym)
	if err != nil {
		t.Fatal(err)
	}
	again, err := localKey(dir, "banban-t", sym)
	if err != nil || again != ref || !strings.HasPrefix(ref, keys.FileScheme) {
		t.Fatalf("refs %q, %q, %v", ref, again, err)
	}
	ks, err := keys.DataKeys(ref, aws.Config{})
	if err != nil {
		t.Fatal(err)
	}
	plain, wrapped, err := ks.GenerateDataKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	back, err := ks.Decrypt(context.Background(), wrapped)
	if err != nil || string(back) != string(plain) {
		t.Fatalf("unwrap: %v", err)
	}

	rsaKey := template.KMSKey{LogicalID: "TokenKey", KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY"}
	ref, err = localKey(dir, "banban-t", rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	pemData, err := os.ReadFile(strings.TrimPrefix(ref, keys.FileScheme))
	if err != nil || !strings.Contains(string(pemData), "PRIVATE KEY") {
		t.Fatalf("signing key file: %v", err)
	}
	if _, err := localKey(dir, "banban-t", template.KMSKey{LogicalID: "X", KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC"}); err == nil {
		t.Error("an unsupported key spec was accepted")
	}
}
