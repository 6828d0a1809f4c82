package stack

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"banban/local/template"
)

// ScheduleARN is the ARN the local stack gives a ScheduleV2 event's schedule.
func ScheduleARN(region, account, function, event string) string {
	return fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/default/%s-%s", region, account, function, event)
}

// SchedulePayload returns what EventBridge Scheduler sends the function when the schedule fires:
// the event's Input with Scheduler's context attributes (<aws.scheduler.schedule-arn>,
// <aws.scheduler.scheduled-time>, <aws.scheduler.execution-id>, <aws.scheduler.attempt-number>)
// filled in, or, without Input, a scheduled-event document.
func SchedulePayload(ev template.ScheduleV2Event, scheduleARN, region, account string, now time.Time) ([]byte, error) {
	execID := newUUID()
	at := now.UTC().Format(time.RFC3339)
	if ev.Input != "" {
		return []byte(strings.NewReplacer(
			"<aws.scheduler.schedule-arn>", scheduleARN,
			"<aws.scheduler.scheduled-time>", at,
			"<aws.scheduler.execution-id>", execID,
			"<aws.scheduler.attempt-number>", "1",
		).Replace(ev.Input)), nil
	}
	doc := map[string]any{
		"version":     "0",
		"id":          execID,
		"detail-type": "Scheduled Event",
		"source":      "aws.scheduler",
		"account":     account,
		"time":        at,
		"region":      region,
		"resources":   []string{scheduleARN},
		"detail":      map[string]any{},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("marshal scheduled event: %w", err)
	}
	return b, nil
}

func newUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on Linux
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
