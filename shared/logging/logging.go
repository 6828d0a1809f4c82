// Package logging builds the JSON slog logger every function uses. Lambda's JSON log format
// expects one JSON object per line; the request id ties a line to its invocation.
//
// Personal data (ID numbers, phone numbers) and rating-to-person links are never logged: log ids
// and codes, not request bodies.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// New returns a JSON logger at the level named by LOG_LEVEL-style text (DEBUG, INFO, WARN, ERROR).
func New(w io.Writer, level string) *slog.Logger {
	if w == nil {
		w = os.Stdout
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		lv = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv}))
}

// ForInvocation returns base with the Lambda request id of ctx, when there is one.
func ForInvocation(ctx context.Context, base *slog.Logger) *slog.Logger {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return base.With("requestId", lc.AwsRequestID)
	}
	return base
}
