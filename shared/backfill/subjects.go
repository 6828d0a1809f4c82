package backfill

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/auth"
)

// Subjects namespaces the subjects stored before principals had kinds: a case's requester
// ("wx-…" → "citizen:wx-…", with its requester index key), the staff member who filed it for a
// visitor ("clerk-x" → "staff:clerk-x"), and the idempotency records keyed by subject
// (IDEM#<subject>#<key>, moved to the new key). Before kinds existed, sign-in issued tokens to
// citizens and staff only, so a bare subject of the "wx-" form was a citizen's and any other a
// staff member's. History entries and audit fields keep the subject as it was when written.
var Subjects = Step{
	Name: "namespaced-subjects",
	Doc:  "case requesters, filers and idempotency keys to <kind>:<id> subjects",
	Run:  runSubjects,
}

// namespaced is the subject of a bare one, and whether it was bare.
func namespaced(sub string) (string, bool) {
	if sub == "" || strings.Contains(sub, ":") {
		return sub, false
	}
	if strings.HasPrefix(sub, "wx-") {
		return auth.SubjectOf(auth.KindCitizen, sub), true
	}
	return auth.StaffSubject(sub), true
}

func runSubjects(ctx context.Context, env Env) (Result, error) {
	table, err := env.Table("CasesTable")
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = Each(ctx, env.DB, table, func(item map[string]types.AttributeValue) error {
		res.Scanned++
		pk, sk := stringAttr(item, "pk"), stringAttr(item, "sk")
		var changed bool
		var err error
		switch {
		case strings.HasPrefix(pk, "CASE#") && sk == "CASE":
			changed, err = caseSubjects(ctx, env.DB, table, item)
		case strings.HasPrefix(pk, "IDEM#") && sk == "IDEM":
			changed, err = idempotencyKey(ctx, env.DB, table, item)
		}
		if changed {
			res.Changed++
		}
		return err
	})
	return res, err
}

// caseSubjects rewrites a case's bare requester and filer, if it still has them.
func caseSubjects(ctx context.Context, db DB, table string, item map[string]types.AttributeValue) (bool, error) {
	requester, bareRequester := namespaced(stringAttr(item, "requesterSub"))
	filer, bareFiler := namespaced(stringAttr(item, "filedBy"))
	if !bareRequester && !bareFiler {
		return false, nil
	}
	var set, cond []string
	values := map[string]types.AttributeValue{}
	if bareRequester {
		set = append(set, "requesterSub = :req")
		cond = append(cond, "requesterSub = :oldReq")
		values[":req"], values[":oldReq"] = str(requester), item["requesterSub"]
		if _, indexed := item["gsi1pk"]; indexed {
			set = append(set, "gsi1pk = :reqIndex")
			values[":reqIndex"] = str("REQ#" + requester)
		}
	}
	if bareFiler {
		set = append(set, "filedBy = :filer")
		cond = append(cond, "filedBy = :oldFiler")
		values[":filer"], values[":oldFiler"] = str(filer), item["filedBy"]
	}
	cctx, cancel := context.WithTimeout(ctx, scanTimeout)
	defer cancel()
	_, err := db.UpdateItem(cctx, &dynamodb.UpdateItemInput{
		TableName: &table, Key: map[string]types.AttributeValue{"pk": item["pk"], "sk": item["sk"]},
		UpdateExpression:          aws.String("SET " + strings.Join(set, ", ")),
		ConditionExpression:       aws.String(strings.Join(cond, " AND ")),
		ExpressionAttributeValues: values,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return false, nil // changed meanwhile: the writer wrote the new form
	}
	if err != nil {
		return false, fmt.Errorf("case %s subjects: %w", stringAttr(item, "pk"), err)
	}
	return true, nil
}

// idempotencyKey moves a record keyed by a bare subject to the key of its namespaced subject, in
// one transaction: a retry of the request after the move finds its record under the new key.
func idempotencyKey(ctx context.Context, db DB, table string, item map[string]types.AttributeValue) (bool, error) {
	pk := stringAttr(item, "pk")
	sub, key, ok := strings.Cut(strings.TrimPrefix(pk, "IDEM#"), "#")
	if !ok {
		return false, nil
	}
	ns, bare := namespaced(sub)
	if !bare {
		return false, nil
	}
	moved := map[string]types.AttributeValue{}
	for k, v := range item {
		moved[k] = v
	}
	moved["pk"] = str("IDEM#" + ns + "#" + key)
	oldKey := map[string]types.AttributeValue{"pk": item["pk"], "sk": item["sk"]}
	cctx, cancel := context.WithTimeout(ctx, scanTimeout)
	defer cancel()
	_, err := db.TransactWriteItems(cctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &table, Item: moved, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Delete: &types.Delete{TableName: &table, Key: oldKey, ConditionExpression: aws.String("attribute_exists(pk)")}},
	}})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		// Moved before (a crash between runs cannot leave both: the two writes are one
		// transaction), or a new request took the new key meanwhile: the old record goes.
		cctx, cancel := context.WithTimeout(ctx, scanTimeout)
		defer cancel()
		if _, err := db.DeleteItem(cctx, &dynamodb.DeleteItemInput{TableName: &table, Key: oldKey}); err != nil {
			return false, fmt.Errorf("idempotency record %s: %w", pk, err)
		}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("idempotency record %s: %w", pk, err)
	}
	return true, nil
}

func stringAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
