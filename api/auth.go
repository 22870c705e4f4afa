package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/secret"
)

// bcryptCost is bcrypt's work factor: ~50 ms a hash on a small server, slow enough for stolen
// hashes, fast enough for logins.
const bcryptCost = 11

// dummyHash is compared against when the e-mail is unknown, so that a login for a missing account
// takes as long as one with a wrong password and does not reveal which e-mails exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcryptCost)

// HashPassword hashes a password for storage.
func HashPassword(pw string) (string, error) {
	if len(pw) < 8 {
		return "", invalid("password must be at least 8 characters")
	}
	if len(pw) > 72 {
		return "", invalid("password must be at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
	return string(h), err
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string          `json:"token"`
	ExpiresAt time.Time       `json:"expires_at"`
	User      chatcenter.User `json:"user"`
}

func (s *Server) login(c *gin.Context) {
	var req loginRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if req.Email == "" || req.Password == "" {
		s.fail(c, invalid("email and password are required"))
		return
	}
	if err := s.loginAllowed(c, req.Email); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	u, err := s.DB.UserGetByEmail(ctx, strings.TrimSpace(req.Email))
	if err != nil && !db.IsNoRows(err) {
		s.fail(c, err)
		return
	}
	hash := dummyHash
	if err == nil {
		hash = []byte(u.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(req.Password)) != nil || err != nil || !u.Active {
		s.loginFailed(c, req.Email)
		s.fail(c, chatcenter.Errorf(chatcenter.EUNAUTHORIZED, "wrong e-mail or password"))
		return
	}
	token := secret.RandomToken(32)
	sess, err := s.DB.SessionInsert(ctx, dbsqlc.SessionInsertParams{
		UserID: u.ID, TokenHash: secret.HashToken(token), ExpiresAt: time.Now().Add(s.TokenTTL),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.loginSucceeded(c, req.Email)
	c.JSON(http.StatusOK, loginResponse{Token: token, ExpiresAt: sess.ExpiresAt, User: db.ToUser(u)})
}

func (s *Server) logout(c *gin.Context) {
	token := strings.TrimSpace(c.GetHeader("Authorization")[7:])
	if err := s.DB.SessionDelete(c.Request.Context(), secret.HashToken(token)); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) me(c *gin.Context) {
	c.JSON(http.StatusOK, currentUser(c))
}

// BootstrapResult reports what Bootstrap created.
type BootstrapResult struct {
	Created bool
	Email   string
	// Password is set when it was generated and must be shown to the operator once.
	Password string
}

// Bootstrap creates the first workspace and its owner when the database has no workspace yet.
// An empty password is replaced by a generated one.
func Bootstrap(ctx context.Context, d *db.DB, email, password string) (BootstrapResult, error) {
	res := BootstrapResult{Email: email}
	n, err := d.WorkspaceCount(ctx)
	if err != nil {
		return res, err
	}
	if n > 0 {
		return res, nil
	}
	generated := password == ""
	if generated {
		password = secret.RandomToken(12)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return res, fmt.Errorf("CHATCENTER_ADMIN_PASSWORD: %w", err)
	}
	err = d.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if err := q.AdvisoryXactLock(ctx, db.LockKey("bootstrap")); err != nil {
			return err
		}
		if n, err := q.WorkspaceCount(ctx); err != nil || n > 0 {
			return errors.Join(err, errAlreadyBootstrapped)
		}
		ws, err := q.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{Name: "My workspace", Timezone: "UTC", Language: "en"})
		if err != nil {
			return err
		}
		_, err = q.UserInsert(ctx, dbsqlc.UserInsertParams{
			WorkspaceID: ws.ID, Email: email, PasswordHash: hash, Name: "Owner", Role: string(chatcenter.RoleOwner),
		})
		return err
	})
	if errors.Is(err, errAlreadyBootstrapped) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.Created = true
	if generated {
		res.Password = password
	}
	return res, nil
}

var errAlreadyBootstrapped = errors.New("already bootstrapped")
