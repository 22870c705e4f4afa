package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/flows"
)

// Flow templates are the built-in starting points of package flows (the seed's workflow
// examples). Creating from one makes an ordinary draft flow of the workspace, under the same
// limit and with the same flow.created event as POST /flows.

func init() {
	const v1 = "/api/v1"
	const tag = "Flows"
	document(http.MethodGet, v1+"/flows/templates", Operation{Summary: "The built-in flow templates: key, name, description and the team parameters each accepts", Tag: tag, Response: flowTemplateView{}, List: true})
	document(http.MethodPost, v1+"/flows/templates/:key", Operation{Summary: "Create a draft flow from a template (unknown key answers 404; params sets team ids such as team_id, which must be teams of the workspace; at most 100 flows per workspace)", Tag: tag, Request: flowTemplateCreateRequest{}, Response: flowResponse{}, Status: http.StatusCreated})
}

// flowTemplateView is one template as listed.
type flowTemplateView struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Params are the team-id parameters the template accepts (empty: none).
	Params []string `json:"params"`
}

type flowTemplateCreateRequest struct {
	// Name defaults to the template's name.
	Name   *string          `json:"name"`
	Params map[string]int64 `json:"params"`
}

func (s *Server) listFlowTemplates(c *gin.Context) {
	all := flows.Templates()
	// There are few templates: one page, no cursor.
	out := listResponse[flowTemplateView]{Items: make([]flowTemplateView, len(all))}
	for i, t := range all {
		out.Items[i] = flowTemplateView{Key: t.Key, Name: t.Name, Description: t.Description, Params: append([]string{}, t.Params...)}
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) createFlowFromTemplate(c *gin.Context) {
	key := c.Param("key")
	var req flowTemplateCreateRequest
	if err := bindJSON(c, &req, true); err != nil {
		s.fail(c, err)
		return
	}
	tpl, err := flows.Instantiate(key, req.Params)
	if errors.Is(err, flows.ErrUnknownTemplate) {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "flow template not found"))
		return
	}
	if err != nil {
		s.fail(c, invalid("%v", err))
		return
	}
	name := tpl.Name
	if req.Name != nil {
		name = *req.Name
	}
	if name, err = flowName(name); err != nil {
		s.fail(c, err)
		return
	}
	// A team parameter must be a team of the caller's workspace; another workspace's team answers
	// 404 like any other id of it. Checked in a fixed order so the answer is deterministic.
	params := make([]string, 0, len(req.Params))
	for p := range req.Params {
		params = append(params, p)
	}
	sort.Strings(params)
	ctx := c.Request.Context()
	for _, p := range params {
		_, err := s.DB.TeamGet(ctx, dbsqlc.TeamGetParams{WorkspaceID: currentUser(c).WorkspaceID, ID: req.Params[p]})
		if db.IsNoRows(err) {
			s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "%s: team %d not found", p, req.Params[p]))
			return
		}
		if err != nil {
			s.fail(c, err)
			return
		}
	}
	// The template is checked as any submitted draft would be, so a template can never store a
	// draft the create path would refuse.
	raw, err := json.Marshal(tpl.Flow)
	if err != nil {
		s.fail(c, err)
		return
	}
	def, draft, err := parseDraft(raw)
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.insertFlow(c, name, def, draft, map[string]any{"template": tpl.Key})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toFlowResponse(out))
}
