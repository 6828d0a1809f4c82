package directory

// Districts are the city's districts, counties and functional zones (区县/功能区) by id, with
// "city" for requests addressed to the city level itself.
var Districts = map[string]string{
	"city":       "淄博市",
	"zhangdian":  "张店区",
	"zichuan":    "淄川区",
	"boshan":     "博山区",
	"zhoucun":    "周村区",
	"linzi":      "临淄区",
	"huantai":    "桓台县",
	"gaoqing":    "高青县",
	"yiyuan":     "沂源县",
	"gaoxin":     "高新区",
	"jingkai":    "经开区",
	"wenchanghu": "文昌湖区",
}
