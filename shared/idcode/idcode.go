// Package idcode validates the identifiers a case carries: the resident identity number
// (公民身份号码, GB 11643-1999), the unified social credit code of an organisation (统一社会信用代码,
// GB 32100-2015) and a mainland mobile number. Each check returns the problem in words, so an API
// can say what is wrong without echoing the number.
package idcode

import (
	"errors"
	"regexp"
	"strings"
	"time"
)

var residentPattern = regexp.MustCompile(`^[1-9][0-9]{5}[0-9]{8}[0-9]{3}[0-9X]$`)

var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const residentCheck = "10X98765432"

// ResidentID checks an 18-character resident identity number: its form, its birth date (a real
// day, not in the future, not before 1900) and its ISO 7064 MOD 11-2 check character. A lower-case
// x is accepted as X.
func ResidentID(id string, now time.Time) error {
	id = strings.ToUpper(id)
	if !residentPattern.MatchString(id) {
		return errors.New("must be 18 characters: 17 digits and a digit or X")
	}
	birth, err := time.Parse("20060102", id[6:14])
	if err != nil || birth.Format("20060102") != id[6:14] {
		return errors.New("the birth date in it is not a real date")
	}
	if birth.Year() < 1900 || birth.After(now) {
		return errors.New("the birth date in it is out of range")
	}
	sum := 0
	for i, w := range residentWeights {
		sum += int(id[i]-'0') * w
	}
	if id[17] != residentCheck[sum%11] {
		return errors.New("the check character does not match (a mistyped digit?)")
	}
	return nil
}

// creditCharset is the alphabet of GB 32100: digits and upper-case letters without I, O, Z, S, V.
const creditCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

var creditPattern = regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$`)

// CreditCode checks an 18-character unified social credit code: its alphabet, its region digits
// and its MOD 31 check character.
func CreditCode(code string) error {
	code = strings.ToUpper(code)
	if !creditPattern.MatchString(code) {
		return errors.New("must be 18 characters of digits and capital letters other than I, O, Z, S, V")
	}
	sum := 0
	for i, w := range creditWeights {
		sum += strings.IndexByte(creditCharset, code[i]) * w
	}
	check := (31 - sum%31) % 31
	if code[17] != creditCharset[check] {
		return errors.New("the check character does not match (a mistyped character?)")
	}
	return nil
}

var mobilePattern = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// Mobile checks a mainland China mobile number of 11 digits (an optional +86 or 86 prefix and
// spaces or dashes are tolerated) and returns it in its 11-digit form.
func Mobile(s string) (string, error) {
	n := strings.NewReplacer(" ", "", "-", "").Replace(s)
	n = strings.TrimPrefix(strings.TrimPrefix(n, "+86"), "0086")
	if len(n) == 13 && strings.HasPrefix(n, "86") {
		n = n[2:]
	}
	if !mobilePattern.MatchString(n) {
		return "", errors.New("must be an 11-digit mainland mobile number starting 13–19")
	}
	return n, nil
}

// MaskResidentID keeps the first 3 and last 2 characters: 370***********123X → "370*************3X".
func MaskResidentID(id string) string { return mask(id, 3, 2) }

// MaskMobile keeps the first 3 and last 4 digits: 138****1234.
func MaskMobile(m string) string { return mask(m, 3, 4) }

// MaskCreditCode keeps the first 2 and last 4 characters.
func MaskCreditCode(c string) string { return mask(c, 2, 4) }

func mask(s string, head, tail int) string {
	r := []rune(s)
	if len(r) <= head+tail {
		return strings.Repeat("*", len(r))
	}
	return string(r[:head]) + strings.Repeat("*", len(r)-head-tail) + string(r[len(r)-tail:])
}
