package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"banban/local/testenv"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/routing"
)

// TestCasesAreRoutedToHelpers: with helpers on duty, a filed case is assigned by agent-routing
// within moments, the helper accepts and completes it, and the helper's capacity comes back.
func TestCasesAreRoutedToHelpers(t *testing.T) {
	s := start(t)
	helpers := &dynamo.Helpers{DB: testenv.DynamoDB(t), Table: s.stack.Resources.Tables["HelpersTable"], CasesTable: s.stack.Resources.Tables["CasesTable"]}
	// On call every day round the clock, so the test passes on any date the suite runs.
	var always []routing.Shift
	for d := time.Sunday; d <= time.Saturday; d++ {
		always = append(always, routing.Shift{Weekday: d, From: 0, To: 24 * 60})
	}
	// RS-004 is a community matter: a transfer to the community team of the requester's grid.
	h := routing.Helper{ID: "helper-grid-7", Name: "周敏", Level: directory.Community, UnitID: "zc-slsq", District: "zichuan",
		Grids: []string{"zc-songling-7"}, Domains: []string{"social-security"}, Capacity: 2, Schedule: always, Status: routing.OnDuty, OnCall: true}
	if err := helpers.Put(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	_, alice := s.signIn(t, "dev-alice", "")
	aliceH := bearer(alice)
	body := caseBody(`"RS-004"`, `,"grid":"zc-songling-7"`)
	status, answer := s.do(t, "POST", "/v1/cases", with(aliceH, "Idempotency-Key", uuid.NewString()), body)
	if status != 201 {
		t.Fatalf("file: %d %s", status, answer)
	}
	c := decodeCase(t, answer)
	path := "/v1/cases/" + c.ID
	var assigned caseView
	testenv.Eventually(t, 15*time.Second, func() error {
		_, answer := s.do(t, "GET", path, aliceH, "")
		assigned = decodeCase(t, answer)
		if assigned.State != "assigned" {
			return fmt.Errorf("state %s", assigned.State)
		}
		return nil
	})
	if !strings.Contains(fmt.Sprint(assigned.History), "routing") {
		t.Errorf("history does not record the routing: %+v", assigned.History)
	}
	helperH := with(s.token(t, map[string]any{"sub": "helper-grid-7", "role": "helper", "unit": "zc-slsq"}), "Content-Type", "application/json")
	for i, to := range []string{"accepted", "in_progress", "completed"} {
		if status, answer := s.do(t, "POST", path+"/transitions", helperH, fmt.Sprintf(`{"to":%q,"version":%d}`, to, assigned.Version+i)); status != 200 {
			t.Fatalf("%s: %d %s", to, status, answer)
		}
	}
	testenv.Eventually(t, 15*time.Second, func() error {
		got, err := helpers.Get(context.Background(), "helper-grid-7")
		if err != nil {
			return err
		}
		if got.Active != 0 {
			return fmt.Errorf("helper still holds %d cases", got.Active)
		}
		return nil
	})
}
