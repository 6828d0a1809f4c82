// Package evaluationingest consumes the ratings queue: each rating is stored once and counted in
// its window's monthly counters exactly once, whatever the retries and redeliveries. Messages
// that can never be stored (poison) are reported as failures, so after the queue's
// maxReceiveCount they rest in the dead-letter queue; a batch that fails to write is reported
// whole and redelivered.
package evaluationingest

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"banban/shared/dynamo"
	"banban/shared/logging"
	"banban/shared/rating"
	"banban/shared/rectification"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	RatingsTable   string `env:"RATINGS_TABLE,required"`
	DirectoryTable string `env:"DIRECTORY_TABLE,required"`
	RatingBuckets  string `env:"RATING_BUCKETS" envDefault:"good=4,5;average=3;poor=1,2"`
	RectifyDays    int    `env:"RECTIFY_DAYS" envDefault:"5"`
	// RatingWatch is the integrity rules (rating.ParseWatch): flagged ratings wait for review.
	RatingWatch string `env:"RATING_WATCH" envDefault:"rate=4/1m;burst=3/30s"`
}

// Recorder stores ratings exactly once; see dynamo.Ratings.
type Recorder interface {
	Record(ctx context.Context, rs []rating.Rating) (dynamo.RecordResult, error)
}

// Handler is the SQS consumer.
type Handler struct {
	Ratings Recorder
	Log     *slog.Logger
}

// New wires the handler to the ratings table. Average and poor ratings open a rectification
// ticket (查摆整改) due in cfg.RectifyDays working days, its first response the same working day.
func New(cfg Config, db dynamo.API, log *slog.Logger, now func() time.Time) (*Handler, error) {
	buckets, err := rating.ParseBuckets(cfg.RatingBuckets)
	if err != nil {
		return nil, err
	}
	watch, err := rating.ParseWatch(cfg.RatingWatch)
	if err != nil {
		return nil, err
	}
	opener := rectification.Opener{Buckets: buckets, Days: cfg.RectifyDays, Now: now,
		Calendar: (&dynamo.Directory{DB: db, Table: cfg.DirectoryTable}).Calendars(now)}
	return &Handler{Ratings: &dynamo.Ratings{DB: db, Table: cfg.RatingsTable, Now: now, Rectify: opener.Open, Watch: watch}, Log: log}, nil
}

// Handle records a batch and reports the messages to redeliver.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	log := logging.ForInvocation(ctx, h.Log)
	var resp events.SQSEventResponse
	fail := func(msgID string) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msgID})
	}
	var (
		ratings []rating.Rating
		msgIDs  []string
	)
	for _, m := range ev.Records {
		var r rating.Rating
		err := json.Unmarshal([]byte(m.Body), &r)
		if err == nil && r.Channel == "" && r.KioskID != "" {
			r.Channel = rating.ChannelKiosk // queued before channels were named: only kiosks rated then
		}
		if err == nil {
			err = r.Check()
		}
		if err != nil {
			// Poison: never storable. Reported so it reaches the DLQ after maxReceiveCount
			// instead of vanishing; the log names the message, not its content.
			log.Error("unreadable rating message", "messageId", m.MessageId, "error", err.Error())
			fail(m.MessageId)
			continue
		}
		ratings = append(ratings, r)
		msgIDs = append(msgIDs, m.MessageId)
	}
	for start := 0; start < len(ratings); start += dynamo.MaxRecordBatch {
		end := min(start+dynamo.MaxRecordBatch, len(ratings))
		res, err := h.Ratings.Record(ctx, ratings[start:end])
		if err != nil {
			log.Error("recording ratings failed; batch will be redelivered", "count", end-start, "error", err.Error())
			for _, id := range msgIDs[start:end] {
				fail(id)
			}
			continue
		}
		log.Info("ratings recorded", "stored", len(res.Stored), "duplicates", len(res.Duplicates), "flagged", len(res.Flagged))
	}
	return resp, nil
}
