package stack

import (
	"context"
	"errors"
	"testing"
	"time"

	"banban/local/testenv"
)

func TestRunnerRestartsDeadProcess(t *testing.T) {
	r, err := StartRunner(t.Context(), RunnerConfig{
		Name: "Echo", RIE: testenv.RIE(t), Bootstrap: testenv.BuildFunction(t, "./local/stack/testdata/echo"),
		Timeout: 3 * time.Second, Concurrency: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	if out, err := r.Invoke(t.Context(), []byte(`{"n":1}`)); err != nil {
		t.Fatalf("%s %v", out, err)
	}
	// Kill the only process behind the pool's back: the next invoke fails, the process is replaced,
	// and the one after that works.
	r.mu.Lock()
	victim := r.procs[len(r.procs)-1]
	r.mu.Unlock()
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	if _, err := r.Invoke(t.Context(), []byte(`{"n":2}`)); err == nil {
		t.Error("invoke on a killed process succeeded")
	}
	if out, err := r.Invoke(t.Context(), []byte(`{"n":3}`)); err != nil {
		t.Fatalf("after restart: %s %v", out, err)
	}
	// A queued caller gives up with its context.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p := <-r.free // hold the only process
	_, err = r.Invoke(ctx, nil)
	r.free <- p
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
}

func TestAsFunctionError(t *testing.T) {
	// Bodies as RIE returns them (measured).
	for _, c := range []struct {
		status int
		body   string
		typ    string
	}{
		{200, `{"errorMessage":"boom","errorType":"errorString"}`, "errorString"},
		{502, `{"errorMessage":"aargh","errorType":"string","stackTrace":[]}`, "string"},
		{200, "Task timed out after 1.00 seconds", "Sandbox.Timedout"},
		{500, "oops", "Runtime.HTTP500"},
		{200, `{"statusCode":200}`, ""},
		{200, `"just a string"`, ""},
	} {
		fe := asFunctionError(c.status, []byte(c.body))
		got := ""
		if fe != nil {
			got = fe.Type
		}
		if got != c.typ {
			t.Errorf("%d %s: %q, want %q", c.status, c.body, got, c.typ)
		}
	}
}
