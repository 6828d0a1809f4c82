package rating

import "testing"

func TestCaseRatingIDIsAKeyedDeterministicUUID(t *testing.T) {
	const c = "0b9a1d6e-58a8-4b8a-9d53-1f0c4f6f2a11"
	id := CaseRatingID([]byte("key one"), c)
	if !ValidID(id) || id[14] != '8' {
		t.Errorf("%q is not a lower-case version 8 UUID", id)
	}
	if CaseRatingID([]byte("key one"), c) != id {
		t.Error("the same case gave two ids")
	}
	if CaseRatingID([]byte("key two"), c) == id {
		t.Error("the id does not depend on the key")
	}
	if CaseRatingID([]byte("key one"), "1b9a1d6e-58a8-4b8a-9d53-1f0c4f6f2a11") == id {
		t.Error("two cases gave one id")
	}
}
