package rating

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// CaseRatingID is the id of the rating of a case: a keyed hash (HMAC-SHA256) of the case id,
// formatted as a lower-case UUID (version 8, RFC 9562). The same case always gives the same id,
// so a retried or re-sent rating, and the default rule racing a real rating, name one rating
// that ingest counts once; without the key nobody can tell which case a rating is of.
func CaseRatingID(key []byte, caseID string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("case-rating:" + caseID))
	b := mac.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8: custom
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
