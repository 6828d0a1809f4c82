package httpapi

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"banban/shared/apperr"
)

// QueryInt reads an integer query parameter in [min, max], def when absent; anything else is a
// 400 naming the parameter.
func QueryInt(req Request, name string, def, min, max int) (int, error) {
	s, ok := req.QueryStringParameters[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, apperr.InvalidField(name, "must be an integer from %d to %d", min, max)
	}
	return n, nil
}

// QueryFloat reads a required decimal query parameter in [min, max].
func QueryFloat(req Request, name string, min, max float64) (float64, error) {
	s, ok := req.QueryStringParameters[name]
	if !ok {
		return 0, apperr.InvalidField(name, "is required")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < min || f > max || len(s) > 20 {
		return 0, apperr.InvalidField(name, "must be a number from %g to %g", min, max)
	}
	return f, nil
}

// QueryText reads a free-text query parameter of at most maxRunes characters, trimmed; "" when
// absent. Control characters and invalid UTF-8 are refused.
func QueryText(req Request, name string, maxRunes int) (string, error) {
	s := strings.TrimSpace(req.QueryStringParameters[name])
	switch {
	case !utf8.ValidString(s):
		return "", apperr.InvalidField(name, "is not valid UTF-8")
	case utf8.RuneCountInString(s) > maxRunes:
		return "", apperr.InvalidField(name, "must be at most %d characters", maxRunes)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", apperr.InvalidField(name, "contains control characters")
	}
	return s, nil
}
