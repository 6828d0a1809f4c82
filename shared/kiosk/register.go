package kiosk

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"banban/shared/apperr"
	"banban/shared/auth"
)

// New returns an active kiosk for window w with a fresh 256-bit secret. The secret is shown to
// the installer once; afterwards only the kiosk and the kiosk table hold it.
func New(id string, w auth.WindowScope, now time.Time) (Kiosk, error) {
	if !idPattern.MatchString(id) {
		return Kiosk{}, apperr.InvalidField("kioskId", "must be 1 to 64 characters of A-Z a-z 0-9 _ -")
	}
	if w.WindowID == "" || w.HallID == "" || w.UnitID == "" {
		return Kiosk{}, apperr.InvalidField("windowId", "the window must belong to a hall and a unit")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Kiosk{}, fmt.Errorf("kiosk secret: %w", err)
	}
	return Kiosk{
		ID: id, WindowID: w.WindowID, HallID: w.HallID, UnitID: w.UnitID,
		Secret: base64.RawURLEncoding.EncodeToString(raw), Active: true, RegisteredAt: now.UTC(),
	}, nil
}
