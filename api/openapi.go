package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Operation documents one route for the OpenAPI document. Request and Response are zero values
// of the Go types the handler decodes and encodes (nil: no body); their JSON schemas are derived
// by reflection, so the document cannot drift from the code's field names.
type Operation struct {
	Summary  string
	Tag      string
	Request  any
	Response any
	// Status is the success status (default 200).
	Status int
	// List marks responses wrapped as {"items":[...],"next_cursor":...}.
	List bool
	// Query lists query parameters: name → description.
	Query map[string]string
}

var (
	docsMu sync.Mutex
	docs   = map[string]Operation{}
)

// document registers the documentation of a route; every route must have one (a test checks).
func document(method, path string, op Operation) {
	docsMu.Lock()
	defer docsMu.Unlock()
	docs[method+" "+path] = op
}

// Documented reports whether method and path (gin syntax) have documentation.
func Documented(method, path string) bool {
	docsMu.Lock()
	defer docsMu.Unlock()
	_, ok := docs[method+" "+path]
	return ok
}

// OpenAPI builds the OpenAPI 3.0 document from the registered routes and their documentation.
func (s *Server) OpenAPI() map[string]any {
	docsMu.Lock()
	defer docsMu.Unlock()
	schemas := map[string]any{}
	paths := map[string]map[string]any{}
	for _, r := range s.routes {
		op, ok := docs[r.Method+" "+r.Path]
		if !ok {
			continue
		}
		path, params := openAPIPath(r.Path)
		item := paths[path]
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		status := op.Status
		if status == 0 {
			status = http.StatusOK
		}
		o := map[string]any{
			"summary":     op.Summary,
			"tags":        []string{op.Tag},
			"operationId": operationID(r.Method, r.Path),
		}
		var parameters []any
		for _, p := range params {
			parameters = append(parameters, map[string]any{"name": p, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		qs := make([]string, 0, len(op.Query))
		for q := range op.Query {
			qs = append(qs, q)
		}
		sort.Strings(qs)
		for _, q := range qs {
			parameters = append(parameters, map[string]any{"name": q, "in": "query", "description": op.Query[q], "schema": map[string]any{"type": "string"}})
		}
		if len(parameters) > 0 {
			o["parameters"] = parameters
		}
		if op.Request != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(op.Request), schemas)},
			}}
		}
		resp := map[string]any{"description": http.StatusText(status)}
		if op.Response != nil {
			sch := schemaOf(reflect.TypeOf(op.Response), schemas)
			if op.List {
				sch = map[string]any{"type": "object", "required": []string{"items", "next_cursor"}, "properties": map[string]any{
					"items":       map[string]any{"type": "array", "items": sch},
					"next_cursor": map[string]any{"type": "string", "nullable": true},
				}}
			}
			resp["content"] = map[string]any{"application/json": map[string]any{"schema": sch}}
		}
		responses := map[string]any{strconv.Itoa(status): resp}
		responses["default"] = map[string]any{"description": "Error", "content": map[string]any{
			"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}},
		}}
		o["responses"] = responses
		if r.Permission != PermPublic {
			o["security"] = []any{map[string]any{"bearer": []string{}}}
			o["x-permission"] = string(r.Permission)
		}
		item[strings.ToLower(r.Method)] = o
	}
	schemas["Error"] = map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{
		"error": map[string]any{"type": "object", "required": []string{"code", "message"}, "properties": map[string]any{
			"code":    map[string]any{"type": "string", "enum": []string{"invalid", "unauthorized", "forbidden", "not_found", "conflict", "too_large", "rate_limited", "unavailable", "internal"}},
			"message": map[string]any{"type": "string"},
		}},
	}}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "Chat Center API",
			"version":     "1",
			"description": "Omnichannel customer conversations. Errors are {\"error\":{\"code\",\"message\"}}; lists are cursor-paginated, newest first.",
		},
		"servers":    []any{map[string]any{"url": "/"}},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
	}
}

func (s *Server) openAPI(c *gin.Context) {
	b, err := json.Marshal(s.OpenAPI())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json", b)
}

// openAPIPath turns gin's /a/:id into OpenAPI's /a/{id} and lists the parameters.
func openAPIPath(p string) (string, []string) {
	var params []string
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if strings.HasPrefix(part, ":") || strings.HasPrefix(part, "*") {
			params = append(params, part[1:])
			parts[i] = "{" + part[1:] + "}"
		}
	}
	return strings.Join(parts, "/"), params
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.Split(path, "/") {
		part = strings.TrimLeft(part, ":*")
		for _, w := range strings.FieldsFunc(part, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
)

// schemaOf derives a JSON schema from a Go type, naming struct types in components.
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	var s map[string]any
	switch {
	case t == timeType:
		s = map[string]any{"type": "string", "format": "date-time"}
	case t == rawType || t.Kind() == reflect.Interface:
		s = map[string]any{}
	case t.Kind() == reflect.Struct:
		name := schemaName(t)
		if _, ok := schemas[name]; !ok {
			schemas[name] = map[string]any{} // placeholder for recursion
			schemas[name] = structSchema(t, schemas)
		}
		s = map[string]any{"$ref": "#/components/schemas/" + name}
		if nullable {
			return map[string]any{"allOf": []any{s}, "nullable": true}
		}
		return s
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			s = map[string]any{"type": "string", "format": "byte"}
		} else {
			s = map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
		}
	case t.Kind() == reflect.Map:
		s = map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case t.Kind() == reflect.Bool:
		s = map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s = map[string]any{"type": "integer", "format": "int64"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		s = map[string]any{"type": "number"}
	default:
		s = map[string]any{"type": "string"}
	}
	if nullable {
		s["nullable"] = true
	}
	return s
}

func schemaName(t reflect.Type) string {
	name := t.Name()
	if name == "" {
		return "Object"
	}
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	if pkg == "chatcenter" || pkg == "" {
		return strings.ToUpper(name[:1]) + name[1:]
	}
	return strings.ToUpper(pkg[:1]) + pkg[1:] + strings.ToUpper(name[:1]) + name[1:]
}

func structSchema(t reflect.Type, schemas map[string]any) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = schemaOf(f.Type, schemas)
			if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
				required = append(required, name)
			}
		}
	}
	walk(t)
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		sort.Strings(required)
		s["required"] = required
	}
	return s
}
