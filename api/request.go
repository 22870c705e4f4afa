package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
)

// maxBody bounds JSON request bodies.
const maxBody = 1 << 20

// bindJSON decodes a JSON body strictly: unknown fields and trailing data are errors, so typos in
// a request never pass silently. An empty body decodes as {} when allowEmpty.
func bindJSON(c *gin.Context, v any, allowEmpty bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return invalid("request body is larger than %d bytes", maxBody)
		}
		return invalid("cannot read request body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return nil
		}
		return invalid("request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return invalid("malformed JSON: unexpected data after the object")
	}
	return nil
}

// pathID parses a positive integer path parameter; anything else is "not found", as an unknown id
// would be.
func pathID(c *gin.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, chatcenter.Errorf(chatcenter.ENOTFOUND, "%s not found", strings.TrimSuffix(name, "ID"))
	}
	return id, nil
}

// page reads limit (1–100, default 25) and the opaque cursor.
func page(c *gin.Context, cursor any) (int32, bool, error) {
	limit := int64(25)
	if s := c.Query("limit"); s != "" {
		v, err := strconv.ParseInt(s, 10, 32)
		if err != nil || v < 1 || v > 100 {
			return 0, false, invalid("limit must be between 1 and 100")
		}
		limit = v
	}
	s := c.Query("cursor")
	if s == "" {
		return int32(limit), false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, cursor) != nil {
		return 0, false, invalid("cursor is not valid")
	}
	return int32(limit), true, nil
}

func encodeCursor(v any) *string {
	b, _ := json.Marshal(v)
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// listResponse is the shape of every list: newest first, with the cursor of the next page.
type listResponse[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}
