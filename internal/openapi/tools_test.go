package openapi

import (
	"github.com/drawbridge-mcp/drawbridge/internal/openapi/opfilter"
	"slices"
	"strings"
	"testing"
)

func TestBuildPetstoreNames(t *testing.T) {
	set := petstore(t)
	want := []string{"updatePet", "addPet", "findPetsByStatus", "findPetsByTags", "getPetById", "updatePetWithForm", "deletePet",
		"uploadFile", "getInventory", "placeOrder", "getOrderById", "deleteOrder", "createUser", "createUsersWithListInput",
		"loginUser", "logoutUser", "deleteUser", "getUserByName", "updateUser"}
	got := names(set)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("tools = %v\nwant %v", got, want)
	}
	if len(set.Skipped) != 0 {
		t.Errorf("skipped = %+v, want none", set.Skipped)
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	a, b := petstore(t), petstore(t)
	if jsonOf(t, a.Tools[0].Def) == "" || !slices.Equal(names(a), names(b)) {
		t.Fatal("tool order differs between two builds")
	}
	for i := range a.Tools {
		if x, y := jsonOf(t, a.Tools[i].Def), jsonOf(t, b.Tools[i].Def); x != y {
			t.Errorf("tool %d differs:\n%s\n%s", i, x, y)
		}
	}
}

func TestBuildPetstoreSchemas(t *testing.T) {
	set := petstore(t)
	get := toolNamed(t, set, "getPetById")
	if got, want := jsonOf(t, get.Def.InputSchema), `{"additionalProperties":false,"properties":{"petId":{"description":"ID of pet to return","format":"int64","type":"integer"}},"required":["petId"],"type":"object"}`; got != want {
		t.Errorf("getPetById input = %s\nwant %s", got, want)
	}
	out := jsonOf(t, get.Def.OutputSchema)
	// Pet's $refs to Category and Tag are resolved inline.
	for _, s := range []string{`"required":["name","photoUrls"]`, `"category":{"properties":{"id":`, `"tags":{"items":{"properties":{"id":`, `"status":{"description":"pet status in the store","enum":["available","pending","sold"]`} {
		if !strings.Contains(out, s) {
			t.Errorf("getPetById output schema lacks %s:\n%s", s, out)
		}
	}
	add := jsonOf(t, toolNamed(t, set, "addPet").Def.InputSchema)
	if !strings.Contains(add, `"required":["body"]`) || !strings.Contains(add, `"body":{"description":"Create a new pet in the store","properties":{"category"`) {
		t.Errorf("addPet input schema = %s", add)
	}
	if strings.Contains(add+out, "$ref") {
		t.Errorf("a $ref is left unresolved")
	}
	// findPetsByStatus answers an array: not an object, so no outputSchema.
	if s := toolNamed(t, set, "findPetsByStatus").Def.OutputSchema; s != nil {
		t.Errorf("findPetsByStatus outputSchema = %v, want none", s)
	}
	// The api_key header is declared by deletePet and offered.
	if del := jsonOf(t, toolNamed(t, set, "deletePet").Def.InputSchema); !strings.Contains(del, `"api_key":{"type":"string"}`) {
		t.Errorf("deletePet input = %s", del)
	}
}

func TestBuildAnnotations(t *testing.T) {
	set := petstore(t)
	for _, tt := range []struct {
		name                  string
		readOnly, destructive bool
	}{
		{"getPetById", true, false},
		{"findPetsByStatus", true, false},
		{"deletePet", false, true},
		{"addPet", false, false},
		{"updatePet", false, false},
	} {
		a := toolNamed(t, set, tt.name).Def.Annotations
		destructive := a.DestructiveHint != nil && *a.DestructiveHint
		if a.ReadOnlyHint != tt.readOnly || destructive != tt.destructive {
			t.Errorf("%s: readOnly=%v destructive=%v, want %v %v", tt.name, a.ReadOnlyHint, destructive, tt.readOnly, tt.destructive)
		}
	}
	if d := toolNamed(t, set, "addPet").Def.Annotations.DestructiveHint; d != nil {
		t.Errorf("addPet destructiveHint = %v, want unset", *d)
	}
}

func TestBuildFilter(t *testing.T) {
	doc := loadDoc(t, "testdata/petstore3.yaml")
	for _, tt := range []struct {
		name string
		f    opfilter.Filter
		want []string
	}{
		{"operationIds", opfilter.Filter{Include: []string{"getPetById", "addPet"}}, []string{"addPet", "getPetById"}},
		{"tag", opfilter.Filter{Include: []string{"tag:store"}}, []string{"deleteOrder", "getInventory", "getOrderById", "placeOrder"}},
		{"path glob", opfilter.Filter{Include: []string{"path:/user/*"}}, []string{"createUsersWithListInput", "deleteUser", "getUserByName", "loginUser", "logoutUser", "updateUser"}},
		{"exclude wins", opfilter.Filter{Include: []string{"tag:store"}, Exclude: []string{"deleteOrder", "path:/store/inventory"}}, []string{"getOrderById", "placeOrder"}},
		{"exclude only", opfilter.Filter{Exclude: []string{"tag:pet", "tag:user"}}, []string{"deleteOrder", "getInventory", "getOrderById", "placeOrder"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Build(doc, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			got := names(set)
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("tools = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBuildReportsEveryFilterProblem(t *testing.T) {
	doc := loadDoc(t, "testdata/petstore3.yaml")
	_, err := Build(doc, opfilter.Filter{Include: []string{"getPetByID", "tag:pets"}, Exclude: []string{"path:/nope/*"}})
	if err == nil {
		t.Fatal("Build accepted entries that match nothing")
	}
	for _, s := range []string{`"getPetByID" matches no operation`, `"tag:pets" matches no operation`, `"path:/nope/*" matches no operation`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %s", err, s)
		}
	}
}

const collidingDoc = `
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /a:
    get: {operationId: "list items", responses: {"200": {description: ok}}}
  /b:
    get: {operationId: "list/items", responses: {"200": {description: ok}}}
  /c/{id}:
    delete:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"204": {description: gone}}
`

func TestBuildNamesAndCollisions(t *testing.T) {
	_, err := Build(loadYAML(t, collidingDoc), opfilter.Filter{})
	if err == nil || !strings.Contains(err.Error(), `tool name "list_items" would name both GET /a and GET /b`) {
		t.Fatalf("err = %v, want the collision named", err)
	}
	set, err := Build(loadYAML(t, collidingDoc), opfilter.Filter{Exclude: []string{"list/items"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(set); !slices.Equal(got, []string{"list_items", "delete_c_id"}) {
		t.Errorf("names = %v", got)
	}
}

func TestSanitise(t *testing.T) {
	for in, want := range map[string]string{
		"getPetById":             "getPetById",
		"get pet/{id}":           "get_pet_id",
		"pets.list-v2":           "pets.list-v2",
		"émoji🙂name":             "moji_name",
		"???":                    "operation",
		strings.Repeat("a", 200): strings.Repeat("a", 128),
	} {
		if got := sanitise(in); got != want {
			t.Errorf("sanitise(%q) = %q, want %q", in, got, want)
		}
	}
}

const unsupportedDoc = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /upload:
    post:
      operationId: upload
      requestBody:
        required: true
        content: {application/octet-stream: {schema: {type: string, format: binary}}}
      responses: {"200": {description: ok}}
  /m/{id}:
    get:
      operationId: matrix
      parameters: [{name: id, in: path, required: true, style: matrix, schema: {type: string}}]
      responses: {"200": {description: ok}}
  /h:
    get:
      operationId: headers
      parameters:
        - {name: Authorization, in: header, schema: {type: string}}
        - {name: Host, in: header, schema: {type: string}}
        - {name: X-Request-Id, in: header, schema: {type: string}}
        - {name: session, in: cookie, schema: {type: string}}
      responses: {"200": {description: ok}}
`

func TestBuildLeavesOutWhatItCannotServe(t *testing.T) {
	set, err := Build(loadYAML(t, unsupportedDoc), opfilter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(set); !slices.Equal(got, []string{"headers"}) {
		t.Errorf("tools = %v, want [headers]", got)
	}
	if len(set.Skipped) != 2 || set.Skipped[0].OperationID != "matrix" || set.Skipped[1].OperationID != "upload" {
		t.Errorf("skipped = %+v", set.Skipped)
	}
	// Authorization and Host are never offered to the caller.
	if got := jsonOf(t, set.Tools[0].Def.InputSchema); got != `{"additionalProperties":false,"properties":{"X-Request-Id":{"type":"string"}},"type":"object"}` {
		t.Errorf("headers input = %s", got)
	}
	_, err = Build(loadYAML(t, unsupportedDoc), opfilter.Filter{Include: []string{"upload"}})
	if err == nil || !strings.Contains(err.Error(), "operation upload (POST /upload) is included but cannot be served: the request body has no JSON media type") {
		t.Errorf("err = %v", err)
	}
}

const recursiveDoc = `
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /tree:
    post:
      operationId: plant
      requestBody:
        content: {application/json: {schema: {$ref: "#/components/schemas/Node"}}}
      responses: {"200": {description: ok}}
components:
  schemas:
    Node:
      type: object
      properties:
        name: {type: [string, "null"]}
        children: {type: array, items: {$ref: "#/components/schemas/Node"}}
`

func TestBuildBoundsRecursiveSchemas(t *testing.T) {
	set, err := Build(loadYAML(t, recursiveDoc), opfilter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got := jsonOf(t, set.Tools[0].Def.InputSchema)
	want := `{"additionalProperties":false,"properties":{"body":{"properties":{"children":{"items":{"description":"(schema not expanded: recursive or too deep)"},"type":"array"},"name":{"type":["string","null"]}},"type":"object"}},"type":"object"}`
	if got != want {
		t.Errorf("input = %s\nwant %s", got, want)
	}
}
