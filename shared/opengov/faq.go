package opengov

// QA is one service question and its answer (政务问答).
type QA struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Category string `json:"category"`          // 社保, 医保, 企业开办, …
	Matter   string `json:"matter,omitempty"`  // the matter (事项) asked about, as its guide names it
	GuideID  string `json:"guideId,omitempty"` // the service guide the answer belongs to, if any
	// Asks is how often the question was asked before (the office's consultation records);
	// searching ranks often-asked questions higher among equally good matches.
	Asks int `json:"asks"`
}

// Problems lists what is wrong with the Q&A, field by field.
func (q QA) Problems() []Problem {
	var p problems
	p.id("id", q.ID)
	p.text("question", q.Question, true, 100)
	p.text("answer", q.Answer, true, 2000)
	p.text("category", q.Category, true, 20)
	p.text("matter", q.Matter, false, 100)
	if q.GuideID != "" {
		p.id("guideId", q.GuideID)
	}
	if q.Asks < 0 || q.Asks > 100_000_000 {
		p.add("asks", "must be 0 to 100000000")
	}
	return p
}

// CheckFAQ checks a whole set: every Q&A valid, ids unique.
func CheckFAQ(qs []QA) error {
	return checkAll(qs, func(q QA) string { return q.ID }, QA.Problems)
}
