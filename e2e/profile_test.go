package e2e

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
)

func TestProfileAvatar(t *testing.T) {
	e := filesSetup(t, 1<<20)
	var img, doc filesView
	e.upload("", "me.png", "image/png", filesPNG, http.StatusCreated, &img)
	e.upload("", "cv.pdf", "application/pdf", []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"), http.StatusCreated, &doc)

	var me chatcenter.User
	e.do("PATCH", "/api/v1/me", "", map[string]any{"avatar_file_id": img.ID}, http.StatusOK, &me)
	require.Equal(t, img.ID, *me.AvatarFileID)
	e.do("GET", "/api/v1/me", "", nil, http.StatusOK, &me)
	require.Equal(t, img.ID, *me.AvatarFileID)

	e.do("PATCH", "/api/v1/me", "", map[string]any{"avatar_file_id": doc.ID}, http.StatusBadRequest, nil)
	e.do("PATCH", "/api/v1/me", "", map[string]any{"avatar_file_id": 987654}, http.StatusBadRequest, nil)
	e.do("PATCH", "/api/v1/me", "", map[string]any{"avatar_file_id": "x"}, http.StatusBadRequest, nil)
	e.do("GET", "/api/v1/me", "", nil, http.StatusOK, &me)
	require.Equal(t, img.ID, *me.AvatarFileID, "refused changes change nothing")

	e.do("PATCH", "/api/v1/me", "", map[string]any{"name": "Olga"}, http.StatusOK, &me)
	require.Equal(t, img.ID, *me.AvatarFileID, "other changes keep the picture")
	e.do("PATCH", "/api/v1/me", "", map[string]any{"avatar_file_id": nil}, http.StatusOK, &me)
	require.Nil(t, me.AvatarFileID)
}
