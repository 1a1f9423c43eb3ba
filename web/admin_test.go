package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

const adminToken = "0123456789abcdef-operator"

// adminList is GET /api/admin/sessions.
type adminList struct {
	Sessions []struct {
		ID     string `json:"id"`
		State  string `json:"state"`
		Client string `json:"client"`
		Ended  bool   `json:"ended"`
	} `json:"sessions"`
}

// TestAdminRecoversLockedOutTeacher is a student's address holding every
// session it may: the operator lists every session with who started it,
// stops that address's sessions in one request, and sessions start again.
func TestAdminRecoversLockedOutTeacher(t *testing.T) {
	ts := newTestServerWith(t, func(c *Config) {
		c.AdminToken = adminToken
		c.Limits.SessionsPerClient = 2
	}, nil)
	a, b := ts.create(t, stepPipe), ts.create(t, stepPipe)
	if resp, body := ts.post(t, "/api/sessions", stepPipe); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a third session: %d %s", resp.StatusCode, body)
	}
	auth := []string{"Authorization", "Bearer " + adminToken}

	status, body := ts.do(t, "GET", "/api/admin/sessions", "", auth...)
	var list adminList
	if err := json.Unmarshal(body, &list); status != http.StatusOK || err != nil {
		t.Fatalf("list: %d %s", status, body)
	}
	if len(list.Sessions) != 2 || list.Sessions[0].ID != a.ID || list.Sessions[1].ID != b.ID {
		t.Fatalf("the list is %s, want %s then %s", body, a.ID, b.ID)
	}
	client := list.Sessions[0].Client
	if client != "127.0.0.1" || list.Sessions[0].Ended {
		t.Fatalf("the first session: started by %q, ended %v; want 127.0.0.1, running", client, list.Sessions[0].Ended)
	}

	status, body = ts.do(t, "DELETE", "/api/admin/sessions?client="+client, "", auth...)
	if status != http.StatusOK || !strings.Contains(string(body), a.ID) || !strings.Contains(string(body), b.ID) {
		t.Fatalf("stop the client's sessions: %d %s", status, body)
	}
	for _, id := range []string{a.ID, b.ID} {
		if sess, _ := ts.runner.Get(id); !sess.Ended() || sess.State() != "stopped" {
			t.Errorf("session %s after the operator's stop: %s", id, sess.State())
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, body := ts.post(t, "/api/sessions", stepPipe)
		if resp.StatusCode == http.StatusCreated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sessions still refused after the operator's stop: %d %s", resp.StatusCode, body)
		}
	}
}

// TestAdminStopsAnySession is the operator stopping one session with its
// own route, and with the presenter's routes, without the presenter token.
func TestAdminStopsAnySession(t *testing.T) {
	ts := newTestServerWith(t, func(c *Config) { c.AdminToken = adminToken }, nil)
	a, b := ts.create(t, stepPipe), ts.create(t, stepPipe)
	if status, body := ts.do(t, "DELETE", "/api/admin/sessions/"+a.ID, "", "Authorization", "Bearer "+adminToken); status != http.StatusNoContent {
		t.Fatalf("stop by the operator's route: %d %s", status, body)
	}
	if status, body := ts.do(t, "DELETE", "/api/sessions/"+b.ID, "", "Authorization", "bearer "+adminToken); status != http.StatusNoContent {
		t.Fatalf("stop by the presenter's route: %d %s", status, body)
	}
	if status, body := ts.do(t, "DELETE", "/api/admin/sessions/nosuch", "", "Authorization", "Bearer "+adminToken); status != http.StatusNotFound {
		t.Fatalf("stop a session that is not there: %d %s", status, body)
	}
}

// TestAdminRefusals is every way to be refused the operator's routes.
func TestAdminRefusals(t *testing.T) {
	off := newTestServer(t)
	status, body := off.do(t, "GET", "/api/admin/sessions", "", "Authorization", "Bearer "+adminToken)
	if status != http.StatusNotFound || !strings.Contains(string(body), "operator's routes are off") {
		t.Errorf("with no token configured: %d %s", status, body)
	}
	ts := newTestServerWith(t, func(c *Config) { c.AdminToken = adminToken }, nil)
	c := ts.create(t, stepPipe)
	for _, tc := range []struct {
		name, method, path string
		headers            []string
		status             int
	}{
		{"no token", "GET", "/api/admin/sessions", nil, http.StatusUnauthorized},
		{"a presenter's token", "GET", "/api/admin/sessions", []string{"Authorization", "Bearer " + c.PresenterToken}, http.StatusForbidden},
		{"a wrong token", "DELETE", "/api/admin/sessions/" + c.ID, []string{"Authorization", "Bearer " + adminToken + "x"}, http.StatusForbidden},
		{"another scheme", "GET", "/api/admin/sessions", []string{"Authorization", "Basic " + adminToken}, http.StatusUnauthorized},
		{"stop with no client", "DELETE", "/api/admin/sessions", []string{"Authorization", "Bearer " + adminToken}, http.StatusBadRequest},
	} {
		if status, body := ts.do(t, tc.method, tc.path, "", tc.headers...); status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.status)
		}
	}
	if sess, _ := ts.runner.Get(c.ID); sess.Ended() {
		t.Error("a refused request stopped the session")
	}
}

// TestBearerCaseInsensitive is the presenter's token sent with the
// scheme's name in other cases, as HTTP allows.
func TestBearerCaseInsensitive(t *testing.T) {
	ts := newTestServer(t)
	c := ts.create(t, stepPipe)
	for _, scheme := range []string{"bearer", "BEARER", "Bearer"} {
		if resp, body := ts.post(t, "/api/sessions/"+c.ID+"/control", `{"action": "speed", "value": 2}`,
			"Authorization", scheme+" "+c.PresenterToken); resp.StatusCode != http.StatusOK {
			t.Errorf("%s TOKEN: %d %s", scheme, resp.StatusCode, body)
		}
	}
}
