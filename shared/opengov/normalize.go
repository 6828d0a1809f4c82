package opengov

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
)

// Thesaurus lists groups of words that mean the same to a person asking about a government
// matter; the first of each group is the canonical form. Normalize rewrites every member to the
// canonical form, in documents and in queries alike, so 社会保险 finds 社保 and 执照 finds 营业执照
// (an abbreviation is a synonym whose canonical form is the full word when the short form is
// ambiguous, and the short form when that is what people type).
var Thesaurus = [][]string{
	// Abbreviations and everyday names of matters and documents.
	{"社保", "社会保险"},
	{"医保", "基本医疗保险", "医疗保险"},
	{"居民医保", "城乡居民医保", "城乡居民基本医疗保险"},
	{"公积金", "住房公积金"},
	{"营业执照", "执照", "营业证"},
	{"身份证", "居民身份证", "二代证"},
	{"驾驶证", "机动车驾驶证", "驾照", "驾驶本"},
	{"个体工商户", "个体户", "个体经营户"},
	{"不动产权证书", "不动产证", "房产证", "房本", "房屋产权证", "房屋所有权证"},
	{"户口簿", "户口本", "居民户口簿"},
	{"低保", "最低生活保障"},
	{"失业金", "失业保险金"},
	{"出生医学证明", "出生证明", "出生证"},
	{"居住证", "暂住证"},
	{"港澳通行证", "往来港澳通行证", "港澳证"},
	{"残疾人证", "残疾证"},
	{"公租房", "公共租赁住房"},
	{"企业开办", "开办企业", "开公司", "注册公司", "成立公司", "设立公司", "公司注册", "公司设立"},
	{"新生儿", "宝宝", "小孩", "孩子", "婴儿"},
	{"入户", "上户口", "报户口", "落户口"},
	{"养老金", "养老保险待遇", "退休金"},
	{"社保卡", "社会保障卡"},
	{"电子税务局", "电子税局"},
	{"纳税申报", "报税"},
	{"个税", "个人所得税"},
	{"高龄补贴", "高龄津贴"},
	{"不动产登记", "房产登记", "房屋登记"},
	{"二手房", "存量房"},
	{"12345", "市民热线", "政务服务热线", "便民热线"},
	{"政务服务中心", "政务服务大厅", "政务大厅", "行政服务中心", "市民中心", "办事大厅"},
	{"帮办代办", "帮办", "代办", "帮忙办", "找人帮"},
	{"委托", "替我", "让别人", "让家里人", "代为"},
	{"附近", "离我最近", "最近", "就近"},
	{"办公时间", "几点上班", "上下班时间", "工作时间", "上班时间"},
	// What people ask about a matter, in the words of the guides.
	{"时限", "多长时间", "多久", "多少天", "几天", "几个工作日", "多少个工作日", "办结时间", "时间多长"},
	{"收费", "交多少钱", "花多少钱", "收不收费", "收费吗", "要钱", "交钱", "花钱", "工本费", "要不要钱"},
	{"材料", "资料", "要带什么", "需要带什么", "带什么", "带啥", "带哪些", "要带哪些", "准备哪些", "准备什么", "提供哪些", "哪些证件"},
	{"地点", "在哪里", "在哪儿", "去哪里", "去哪儿", "去哪", "在哪", "哪里", "什么地方", "地址", "哪个窗口"},
	{"网办", "网上办理", "网上办", "线上办理", "在线办理", "手机上办", "手机办理", "掌上办", "不用跑腿", "不用跑", "网上", "手机上", "线上", "在线"},
	{"条件", "资格", "符合什么", "要求", "什么人可以", "谁可以"},
	{"流程", "步骤", "几步", "怎么操作", "程序"},
}

// fillers are words of a question that say nothing about what is asked; they become spaces, which
// also keeps them from joining their neighbours in character bigrams.
var fillers = []string{"请问", "您好", "你好", "想问一下", "咨询一下", "问一下", "一下", "我想", "我要", "我们", "我",
	"怎么样", "怎么", "如何", "怎样", "可以吗", "能不能", "是否", "吗", "呢", "呀", "啊", "吧", "的"}

var replacer = func() *strings.Replacer {
	type pair struct{ from, to string }
	var pairs []pair
	for _, g := range Thesaurus {
		for _, w := range g {
			// Spaces around the canonical word make it a token of its own: its first and last
			// characters never pair with the neighbours into bigrams that mean nothing (户要, 等时).
			pairs = append(pairs, pair{w, " " + g[0] + " "})
		}
	}
	for _, f := range fillers {
		pairs = append(pairs, pair{f, " "})
	}
	// At each position the replacer takes the first pattern that matches in argument order:
	// longest first, so 营业执照 is kept whole before 执照 could expand inside it.
	slices.SortStableFunc(pairs, func(a, b pair) int { return cmp.Compare(len(b.from), len(a.from)) })
	args := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		args = append(args, p.from, p.to)
	}
	return strings.NewReplacer(args...)
}()

// Normalize folds full-width forms to ASCII, lower-cases, turns punctuation into spaces and
// rewrites synonyms to their canonical form. It is the character filter of the search analyser and
// the normaliser of guide filters.
func Normalize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == 0x3000:
			return ' '
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		}
		if unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r) {
			return ' '
		}
		return unicode.ToLower(r)
	}, s)
	return replacer.Replace(s)
}
