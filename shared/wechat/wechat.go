// Package wechat exchanges a mini-program's wx.login code for the user's identity through
// WeChat's code2session API (GET /sns/jscode2session). The base URL is configuration: WeChat's
// servers on AWS, the local stack's stand-in offline.
package wechat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"banban/shared/apperr"
)

// DefaultBase is WeChat's API host.
const DefaultBase = "https://api.weixin.qq.com"

// Session is who logged in: the user's openid within the mini-program (and unionid across the
// organisation's apps, when bound). The session key is not kept.
type Session struct {
	OpenID  string
	UnionID string
}

// Client calls code2session.
type Client struct {
	HTTP   *http.Client
	Base   string
	AppID  string
	Secret string
}

type answer struct {
	OpenID  string `json:"openid"`
	UnionID string `json:"unionid"`
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Code2Session exchanges a wx.login code. A code WeChat refuses (invalid, used, expired) is a
// 401; WeChat being unreachable or busy is a 503.
func (c *Client) Code2Session(ctx context.Context, code string) (Session, error) {
	q := url.Values{"appid": {c.AppID}, "secret": {c.Secret}, "js_code": {code}, "grant_type": {"authorization_code"}}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/sns/jscode2session?"+q.Encode(), nil)
	if err != nil {
		return Session{}, fmt.Errorf("code2session request: %w", err)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		// The URL carries the secret: report the failure without it.
		return Session{}, apperr.New(apperr.Unavailable, "wechat_unavailable", "WeChat login is unavailable, try again")
	}
	defer resp.Body.Close() //nolint:errcheck // the body was read in full or the error below is reported
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil || resp.StatusCode != http.StatusOK {
		return Session{}, apperr.New(apperr.Unavailable, "wechat_unavailable", "WeChat login is unavailable, try again")
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return Session{}, apperr.New(apperr.Unavailable, "wechat_unavailable", "WeChat answered unreadably")
	}
	switch {
	case a.ErrCode == -1 || a.ErrCode == 45011: // system busy, rate limited
		return Session{}, apperr.New(apperr.Unavailable, "wechat_busy", "WeChat is busy, try again")
	case a.ErrCode != 0:
		return Session{}, apperr.New(apperr.Unauthenticated, "invalid_login_code", "the login code is invalid or used (WeChat error %d)", a.ErrCode)
	case a.OpenID == "":
		return Session{}, apperr.New(apperr.Unavailable, "wechat_unavailable", "WeChat answered without an openid")
	}
	return Session{OpenID: a.OpenID, UnionID: a.UnionID}, nil
}
