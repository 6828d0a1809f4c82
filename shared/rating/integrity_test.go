package rating

import (
	"fmt"
	"testing"
	"time"
)

var watchNow = time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)

func kioskRating(i int, level Level, at time.Time) Rating {
	return Rating{ID: fmt.Sprintf("r%02d", i), Channel: ChannelKiosk, KioskID: "k1", WindowID: "w1", Level: level, RatedAt: at}
}

func flags(rs []Rating) map[string]string {
	out := map[string]string{}
	for _, r := range rs {
		if r.Flag != nil {
			out[r.ID] = r.Flag.Rule + "@" + r.Flag.Source
		}
	}
	return out
}

func TestJudgeSpacedServicesAreNotFlagged(t *testing.T) {
	var rs []Rating
	for i := range 10 {
		rs = append(rs, kioskRating(i, VerySatisfied, watchNow.Add(time.Duration(i)*3*time.Minute)))
	}
	out, next := DefaultWatch.Judge(nil, rs, watchNow)
	if f := flags(out); len(f) != 0 {
		t.Errorf("ratings three minutes apart flagged: %v", f)
	}
	// Only the last minute of history is kept per source.
	if n := len(next["kiosk:k1"]); n != 1 {
		t.Errorf("kept %d marks of kiosk k1, want 1", n)
	}
}

func TestJudgeFlagsRatesBeyondTheLimitOnly(t *testing.T) {
	var rs []Rating
	for i := range 6 { // six ratings within 50 seconds, alternating levels: the 5th and 6th break the rate
		rs = append(rs, kioskRating(i, Level(2+i%2), watchNow.Add(time.Duration(i)*10*time.Second)))
	}
	out, _ := DefaultWatch.Judge(nil, rs, watchNow)
	want := map[string]string{"r04": "rate@kiosk:k1", "r05": "rate@kiosk:k1"}
	if got := flags(out); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("flags = %v, want %v", got, want)
	}
	if rs[4].Flag != nil {
		t.Error("Judge changed its input")
	}
}

func TestJudgeFlagsBurstOfTopRatingsAcrossBatchesAndOrder(t *testing.T) {
	// Two top ratings stored earlier; a third within 30 s arrives later, in a separate batch and
	// before a rating that was given earlier still: the third top rating is the burst.
	_, history := DefaultWatch.Judge(nil, []Rating{
		kioskRating(0, VerySatisfied, watchNow),
		kioskRating(1, VerySatisfied, watchNow.Add(10*time.Second)),
	}, watchNow)
	out, _ := DefaultWatch.Judge(history, []Rating{
		kioskRating(2, VerySatisfied, watchNow.Add(20*time.Second)),
		kioskRating(3, Dissatisfied, watchNow.Add(5*time.Second)),
	}, watchNow)
	want := map[string]string{"r02": "burst@kiosk:k1"}
	if got := flags(out); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("flags = %v, want %v", got, want)
	}
}

func TestJudgeWindowSourceCoversQRAndKiosksTogether(t *testing.T) {
	var rs []Rating
	for i := range 5 { // five ratings in 40 s at one window, from a kiosk and the QR page in turn
		r := kioskRating(i, Satisfied, watchNow.Add(time.Duration(i)*10*time.Second))
		if i%2 == 1 {
			r.Channel, r.KioskID = ChannelQR, ""
		}
		rs = append(rs, r)
	}
	out, _ := DefaultWatch.Judge(nil, rs, watchNow)
	want := map[string]string{"r04": "rate@window:w1"}
	if got := flags(out); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("flags = %v, want %v", got, want)
	}
}

func TestJudgeLeavesCaseRatingsAndWatchOff(t *testing.T) {
	var rs []Rating
	for i := range 8 {
		rs = append(rs, Rating{ID: fmt.Sprint(i), Channel: ChannelCase, UnitID: "u1", StaffID: "h1", Level: VerySatisfied, RatedAt: watchNow})
	}
	if out, next := DefaultWatch.Judge(nil, rs, watchNow); len(flags(out)) != 0 || len(next) != 0 {
		t.Errorf("case ratings judged: %v %v", flags(out), next)
	}
	off, err := ParseWatch("off")
	if err != nil {
		t.Fatal(err)
	}
	burst := []Rating{kioskRating(0, 5, watchNow), kioskRating(1, 5, watchNow), kioskRating(2, 5, watchNow), kioskRating(3, 5, watchNow), kioskRating(4, 5, watchNow), kioskRating(5, 5, watchNow)}
	if out, _ := off.Judge(nil, burst, watchNow); len(flags(out)) != 0 {
		t.Errorf("watch off flagged %v", flags(out))
	}
}

func TestParseWatch(t *testing.T) {
	w, err := ParseWatch("rate=4/1m;burst=3/30s")
	if err != nil || w != DefaultWatch {
		t.Errorf("ParseWatch = %+v, %v", w, err)
	}
	for _, bad := range []string{"", "rate=4", "rate=0/1m", "rate=4/-1m", "speed=4/1m", "burst=x/30s"} {
		if _, err := ParseWatch(bad); err == nil {
			t.Errorf("ParseWatch(%q) passed", bad)
		}
	}
}
