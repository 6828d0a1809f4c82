package backfill_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/backfill"
	"banban/shared/cases"
	"banban/shared/dynamo"
	"banban/shared/pii"
)

var ctx = context.Background()

// fixture is a provisioned stack with its cases store and the backfill's environment.
type fixture struct {
	env   backfill.Env
	cases *dynamo.Cases
	table string
	db    *dynamodb.Client
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	stack := stacktest.Provision(t)
	master := make([]byte, 32)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	keys := pii.LocalKeys{Master: master}
	db := testenv.DynamoDB(t)
	table := stack.Table(t, "CasesTable")
	hashKey, err := (&dynamo.Secrets{DB: db, Table: table}).Key(ctx, dynamo.PIIHashKey, keys)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{
		env:   backfill.Env{DB: db, Tables: stack.Tables, Keys: keys, Now: time.Now},
		cases: &dynamo.Cases{DB: db, Table: table, PII: &pii.Protector{Keys: keys, HashKey: hashKey}, Retention: time.Hour},
		table: table, db: db,
	}
}

// oldCase is a case as the code before namespaced subjects wrote it: the same item shape, bare
// subjects.
func oldCase(requester, filer string) cases.Case {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return cases.Case{ID: uuid.NewString(), TrackingNo: "BB-2026-000001", Version: 1, State: cases.Received, Mode: cases.Immediate,
		Channel: cases.MiniProgram, Kind: cases.Person, RequesterSub: requester, FiledBy: filer, Matters: []string{"BDC-004"},
		District: "zichuan", ReceivingLvl: "district", HallID: "zc-center", Units: []string{"zc-xzsp"},
		DueAt: now.Add(72 * time.Hour), CreatedAt: now, UpdatedAt: now,
		Personal: cases.Personal{Name: "王建国", IDNumber: "370303199001010017", Mobile: "13905331234"}}
}

func idemItem(pk string) map[string]types.AttributeValue {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	return map[string]types.AttributeValue{"pk": s(pk), "sk": s("IDEM"), "status": s("completed"), "hash": s("h"),
		"expiresAt": &types.AttributeValueMemberN{Value: "4102444800"}}
}

func (f fixture) exists(t *testing.T, pk string) bool {
	t.Helper()
	out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &f.table, ConsistentRead: new(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "IDEM"}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item != nil
}

func TestSubjectsAreNamespacedOnceAndFoundByTheNewCode(t *testing.T) {
	f := newFixture(t)
	citizens := oldCase("wx-0123456789abcdef0123456789abcdef", "")
	filed := oldCase("", "clerk-zc-a02")
	current := oldCase("citizen:wx-fedcba9876543210fedcba9876543210", "")
	for _, c := range []cases.Case{citizens, filed, current} {
		if err := f.cases.Create(ctx, c, cases.Event{Seq: 1, At: c.CreatedAt, Actor: "x", Role: "citizen", To: cases.Received}); err != nil {
			t.Fatal(err)
		}
	}
	for _, pk := range []string{"IDEM#wx-0123456789abcdef0123456789abcdef#key-0001", "IDEM#clerk-zc-a02#key-0002",
		"IDEM#citizen:wx-fedcba9876543210fedcba9876543210#key-0003"} {
		if _, err := f.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &f.table, Item: idemItem(pk)}); err != nil {
			t.Fatal(err)
		}
	}

	res, err := backfill.Subjects.Run(ctx, f.env)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 4 {
		t.Errorf("first run changed %d items, want 2 cases and 2 idempotency records", res.Changed)
	}
	got, _, err := f.cases.Get(ctx, citizens.ID)
	if err != nil || got.RequesterSub != "citizen:wx-0123456789abcdef0123456789abcdef" || got.Personal.IDNumber != "370303199001010017" {
		t.Errorf("requester: %+v %v", got.RequesterSub, err)
	}
	mine, _, err := f.cases.List(ctx, dynamo.ByRequester("citizen:wx-0123456789abcdef0123456789abcdef"), "", 10)
	if err != nil || len(mine) != 1 || mine[0].ID != citizens.ID {
		t.Errorf("the requester's listing under the new subject: %d cases, %v", len(mine), err)
	}
	if old, _, _ := f.cases.List(ctx, dynamo.ByRequester("wx-0123456789abcdef0123456789abcdef"), "", 10); len(old) != 0 {
		t.Error("the case is still listed under the bare subject")
	}
	if got, _, err := f.cases.Get(ctx, filed.ID); err != nil || got.FiledBy != "staff:clerk-zc-a02" {
		t.Errorf("filer: %q %v", got.FiledBy, err)
	}
	if got, _, err := f.cases.Get(ctx, current.ID); err != nil || got.RequesterSub != current.RequesterSub {
		t.Errorf("a namespaced subject changed: %q %v", got.RequesterSub, err)
	}
	for pk, want := range map[string]bool{
		"IDEM#wx-0123456789abcdef0123456789abcdef#key-0001":         false,
		"IDEM#citizen:wx-0123456789abcdef0123456789abcdef#key-0001": true,
		"IDEM#clerk-zc-a02#key-0002":                                false,
		"IDEM#staff:clerk-zc-a02#key-0002":                          true,
		"IDEM#citizen:wx-fedcba9876543210fedcba9876543210#key-0003": true,
	} {
		if f.exists(t, pk) != want {
			t.Errorf("%s: exists %v, want %v", pk, !want, want)
		}
	}

	again, err := backfill.Subjects.Run(ctx, f.env)
	if err != nil || again.Changed != 0 {
		t.Errorf("second run changed %d items (%v), want none", again.Changed, err)
	}
}

func TestRunRunsTheNamedStepsAndRefusesUnknownOnes(t *testing.T) {
	f := newFixture(t)
	var ran []string
	if err := backfill.Run(ctx, f.env, []string{backfill.Subjects.Name}, func(s backfill.Step, _ backfill.Result) { ran = append(ran, s.Name) }); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 1 || ran[0] != backfill.Subjects.Name {
		t.Errorf("ran %v", ran)
	}
	if err := backfill.Run(ctx, f.env, []string{"no-such-step"}, func(backfill.Step, backfill.Result) {}); err == nil {
		t.Error("an unknown step was accepted")
	}
}
