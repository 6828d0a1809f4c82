package idcode

import (
	"testing"
	"time"
)

var now = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

func TestResidentID(t *testing.T) {
	valid := []string{
		"11010519491231002X", // the example of GB 11643-1999
		"11010519491231002x", // lower-case x
		"370303199001010017",
		"37030320000229001X", // 29 February of a leap year
	}
	for _, id := range valid {
		if err := ResidentID(id, now); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	invalid := map[string]string{
		"short":              "1101051949123100",
		"letter inside":      "1101051949123A002X",
		"leading zero":       "01010519491231002X",
		"wrong check":        "110105194912310021",
		"month 13":           "110105194913310021",
		"31 November":        "110105194911310028",
		"29 Feb, no leap":    "37030319990229001X",
		"born in the future": "370303202712010018",
		"before 1900":        "370303189912310011",
		"empty":              "",
	}
	for name, id := range invalid {
		if err := ResidentID(id, now); err == nil {
			t.Errorf("%s (%s) accepted", name, id)
		}
	}
}

func TestCreditCode(t *testing.T) {
	for _, c := range []string{
		"91350100M000100Y43", // the example of GB 32100-2015
		"91370300MA3C5G1X2W",
		"91370300706082952K",
	} {
		if err := CreditCode(c); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
	invalid := map[string]string{
		"wrong check":       "91350100M000100Y44",
		"letter I":          "91350100M00010IY43",
		"letter O":          "91350100M000100O43",
		"region not digits": "9135A100M000100Y43",
		"17 characters":     "91350100M000100Y4",
		"empty":             "",
	}
	for name, c := range invalid {
		if err := CreditCode(c); err == nil {
			t.Errorf("%s (%s) accepted", name, c)
		}
	}
}

func TestMobile(t *testing.T) {
	for in, want := range map[string]string{
		"13800138000":       "13800138000",
		"+86 138 0013 8000": "13800138000",
		"8613800138000":     "13800138000",
		"199-0000-1234":     "19900001234",
	} {
		if got, err := Mobile(in); err != nil || got != want {
			t.Errorf("Mobile(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"12800138000", "1380013800", "138001380000", "0532-12345678", "abc"} {
		if _, err := Mobile(in); err == nil {
			t.Errorf("Mobile(%q) accepted", in)
		}
	}
}

func TestMasks(t *testing.T) {
	if got := MaskResidentID("11010519491231002X"); got != "110*************2X" {
		t.Errorf("resident id mask %s", got)
	}
	if got := MaskMobile("13800138000"); got != "138****8000" {
		t.Errorf("mobile mask %s", got)
	}
	if got := MaskCreditCode("91350100M000100Y43"); got != "91************0Y43" {
		t.Errorf("credit code mask %s", got)
	}
}
