package rating

// Tag is a reason a rater may give, from the fixed catalogue that groups reasons the way the
// national standard groups bad reviews (GB/T 39735-2020): the matter, its handling, the window
// staff, and the hall or site.
type Tag struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Group string `json:"group"` // matter, handling, staff, site
}

// Tags is the reason catalogue.
var Tags = []Tag{
	{"M01", "办事指南不清晰", "matter"},
	{"M02", "申请材料繁琐", "matter"},
	{"M03", "办理时限过长", "matter"},
	{"M04", "政策规定不能办理", "matter"},
	{"H01", "多次跑动", "handling"},
	{"H02", "排队等候时间长", "handling"},
	{"H03", "办理流程复杂", "handling"},
	{"H04", "系统故障影响办理", "handling"},
	{"S01", "服务态度生硬", "staff"},
	{"S02", "业务不熟练", "staff"},
	{"S03", "推诿扯皮", "staff"},
	{"S04", "解释说明不清", "staff"},
	{"S05", "热情周到", "staff"},
	{"S06", "高效专业", "staff"},
	{"P01", "大厅引导不清", "site"},
	{"P02", "环境设施不完善", "site"},
	{"P03", "秩序混乱", "site"},
	{"P04", "停车不便", "site"},
}

// KnownTag reports whether code is in the catalogue.
func KnownTag(code string) bool {
	for _, t := range Tags {
		if t.Code == code {
			return true
		}
	}
	return false
}
