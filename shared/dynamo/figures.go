package dynamo

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/calendar"
	"banban/shared/cases"
)

// HelperFigures are a helper's monthly figures for the monthly report, kept as counters that
// every case event adds to exactly once (pk FIG#<helper>, sk MONTH#<yyyy-mm> in the helpers
// table; a marker FIGSEEN#<case>#<version> per counted event, expiring after 60 days).
type HelperFigures struct {
	HelperID      string         `json:"helperId"`
	Month         string         `json:"month"`
	Assigned      int64          `json:"assigned"`
	Accepted      int64          `json:"accepted"`
	AcceptSeconds int64          `json:"acceptSeconds"` // sum of the times to accept
	Completed     int64          `json:"completed"`
	Unable        int64          `json:"unable"`
	SLAMet        int64          `json:"slaMet"` // completed by the due time
	Modes         map[string]int `json:"modes"`  // completed cases by mode
}

// CountCaseEvent adds one case event to its helper's monthly figures, once per (case, version).
func (s *Helpers) CountCaseEvent(ctx context.Context, m cases.Message) error {
	if m.Assignee == "" {
		return nil
	}
	adds := map[string]int64{}
	switch m.State {
	case cases.Assigned:
		adds["assigned"] = 1
	case cases.Accepted:
		adds["accepted"] = 1
		if m.AssignedAt != nil && m.At.After(*m.AssignedAt) {
			adds["acceptSeconds"] = int64(m.At.Sub(*m.AssignedAt).Seconds())
		}
	case cases.Completed:
		adds["completed"] = 1
		adds["mode_"+string(m.Mode)] = 1
		if !m.At.After(m.DueAt) {
			adds["slaMet"] = 1
		}
	case cases.Unable:
		adds["unable"] = 1
	default:
		return nil
	}
	expr, names, values := "ADD ", map[string]string{}, map[string]types.AttributeValue{}
	i := 0
	for k, v := range adds {
		if i > 0 {
			expr += ", "
		}
		n, val := "#f"+strconv.Itoa(i), ":f"+strconv.Itoa(i)
		names[n], values[val] = k, num(v)
		expr += n + " " + val
		i++
	}
	month := calendar.MonthOf(m.At).String()
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.TransactWriteItems(cctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: map[string]types.AttributeValue{
			"pk": str("FIGSEEN#" + m.CaseID + "#" + strconv.Itoa(m.Version)), "sk": str("FIGSEEN"),
			"expiresAt": num(m.At.Add(60 * 24 * time.Hour).Unix()),
		}, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Update: &types.Update{TableName: &s.Table, Key: key("FIG#"+m.Assignee, "MONTH#"+month),
			UpdateExpression: &expr, ExpressionAttributeNames: names, ExpressionAttributeValues: values}},
	}})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) && len(cancelled.CancellationReasons) > 0 && aws.ToString(cancelled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return nil // counted before (a redelivery)
	}
	if err != nil {
		return unavailable(err, "count helper figures")
	}
	return nil
}

// Figures returns a helper's figures for a month (zero when none).
func (s *Helpers) Figures(ctx context.Context, helperID string, m calendar.Month) (HelperFigures, error) {
	f := HelperFigures{HelperID: helperID, Month: m.String(), Modes: map[string]int{}}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: key("FIG#"+helperID, "MONTH#"+m.String())})
	if err != nil {
		return f, unavailable(err, "read helper figures")
	}
	for k, v := range out.Item {
		n, ok := v.(*types.AttributeValueMemberN)
		if !ok {
			continue
		}
		x, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return f, err
		}
		switch k {
		case "assigned":
			f.Assigned = x
		case "accepted":
			f.Accepted = x
		case "acceptSeconds":
			f.AcceptSeconds = x
		case "completed":
			f.Completed = x
		case "unable":
			f.Unable = x
		case "slaMet":
			f.SLAMet = x
		default:
			if mode, ok := strings.CutPrefix(k, "mode_"); ok {
				f.Modes[mode] = int(x)
			}
		}
	}
	return f, nil
}
