package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

func (s *Server) loadContact(c *gin.Context) (dbsqlc.Contact, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return dbsqlc.Contact{}, chatcenter.Errorf(chatcenter.ENOTFOUND, "contact not found")
	}
	u := currentUser(c)
	ct, err := s.DB.ContactGetByID(c.Request.Context(), dbsqlc.ContactGetByIDParams{WorkspaceID: u.WorkspaceID, ID: id})
	if db.IsNoRows(err) {
		return ct, chatcenter.Errorf(chatcenter.ENOTFOUND, "contact not found")
	}
	if err != nil {
		return ct, err
	}
	ok, err := s.canSee(c.Request.Context(), u, ct.AssigneeID)
	if err != nil {
		return ct, err
	}
	if !ok {
		return ct, chatcenter.Errorf(chatcenter.ENOTFOUND, "contact not found")
	}
	return ct, nil
}

func (s *Server) getContact(c *gin.Context) {
	row, err := s.loadContact(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ids, err := s.DB.ContactIdentityList(c.Request.Context(), row.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	contact := db.ToContact(row)
	contact.Identities = db.MapSlice(ids, db.ToIdentity)
	c.JSON(http.StatusOK, contact)
}

func (s *Server) listContactMessages(c *gin.Context) {
	ct, err := s.loadContact(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.listMessages(c, func(before *int64, limit int32) ([]dbsqlc.Message, error) {
		return s.DB.MessageListByContact(c.Request.Context(), dbsqlc.MessageListByContactParams{
			WorkspaceID: ct.WorkspaceID, ContactID: ct.ID, BeforeID: before, Max: limit,
		})
	})
}
