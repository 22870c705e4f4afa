package storage

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"path/filepath"
	"strings"
)

// Kinds of file: what the library filters by and what attachment types are matched against.
const (
	KindImage    = "image"
	KindAudio    = "audio"
	KindVideo    = "video"
	KindDocument = "document"
)

// SniffSize is how many leading bytes Detect looks at. More than http.DetectContentType's 512,
// because Office documents are told apart by the names of the zip entries that follow the first.
const SniffSize = 4096

// Office and OpenDocument media types.
const (
	MimeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	MimeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	MimePPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	MimeODT  = "application/vnd.oasis.opendocument.text"
	MimeODS  = "application/vnd.oasis.opendocument.spreadsheet"
	MimeODP  = "application/vnd.oasis.opendocument.presentation"
	MimeDOC  = "application/msword"
	MimeXLS  = "application/vnd.ms-excel"
	MimePPT  = "application/vnd.ms-powerpoint"
)

type fileType struct {
	kind string
	// exts are the extensions a file of this type may carry; the first is the canonical one.
	exts []string
}

// allowed is the allow-list of media types that may be uploaded, with their kind. Everything else
// (executables, scripts, HTML, SVG, XML, archives other than zip, unknown binary data) is refused.
var allowed = map[string]fileType{
	"image/jpeg": {KindImage, []string{".jpg", ".jpeg", ".jfif"}},
	"image/png":  {KindImage, []string{".png"}},
	"image/gif":  {KindImage, []string{".gif"}},
	"image/webp": {KindImage, []string{".webp"}},
	"image/bmp":  {KindImage, []string{".bmp"}},
	"image/heic": {KindImage, []string{".heic", ".heif"}},
	"image/avif": {KindImage, []string{".avif"}},

	"audio/ogg":  {KindAudio, []string{".ogg", ".oga", ".opus"}},
	"audio/mpeg": {KindAudio, []string{".mp3"}},
	"audio/mp4":  {KindAudio, []string{".m4a", ".m4b", ".mp4"}},
	"audio/aac":  {KindAudio, []string{".aac"}},
	"audio/wav":  {KindAudio, []string{".wav"}},
	"audio/webm": {KindAudio, []string{".weba", ".webm"}},
	"audio/flac": {KindAudio, []string{".flac"}},
	"audio/amr":  {KindAudio, []string{".amr"}},

	"video/mp4":       {KindVideo, []string{".mp4", ".m4v"}},
	"video/webm":      {KindVideo, []string{".webm"}},
	"video/quicktime": {KindVideo, []string{".mov", ".qt"}},
	"video/3gpp":      {KindVideo, []string{".3gp", ".3g2"}},
	"video/x-msvideo": {KindVideo, []string{".avi"}},

	"application/pdf": {KindDocument, []string{".pdf"}},
	MimeDOCX:          {KindDocument, []string{".docx"}},
	MimeXLSX:          {KindDocument, []string{".xlsx"}},
	MimePPTX:          {KindDocument, []string{".pptx"}},
	MimeODT:           {KindDocument, []string{".odt"}},
	MimeODS:           {KindDocument, []string{".ods"}},
	MimeODP:           {KindDocument, []string{".odp"}},
	MimeDOC:           {KindDocument, []string{".doc"}},
	MimeXLS:           {KindDocument, []string{".xls"}},
	MimePPT:           {KindDocument, []string{".ppt"}},
	"text/plain":      {KindDocument, []string{".txt", ".text", ".log", ".md"}},
	"text/csv":        {KindDocument, []string{".csv", ".tsv"}},
	"application/zip": {KindDocument, []string{".zip"}},
}

// KindOf returns the kind of an allowed media type and whether it is allowed at all.
func KindOf(mediaType string) (string, bool) {
	t, ok := allowed[mediaType]
	return t.kind, ok
}

// Extensions returns the extensions a file of mediaType may carry, the canonical one first.
func Extensions(mediaType string) []string { return allowed[mediaType].exts }

// Detect returns the media type of a file from its first bytes (up to SniffSize). The file name
// is consulted only to choose between formats the bytes cannot tell apart (legacy Office files,
// plain text versus CSV) and to refuse scripts that are plain text; it never turns one kind of
// content into another. What a client declares is not an input at all.
func Detect(head []byte, name string) string {
	ext := strings.ToLower(filepath.Ext(name))
	has := func(off int, magic string) bool {
		return len(head) >= off+len(magic) && string(head[off:off+len(magic)]) == magic
	}
	switch {
	case len(head) == 0:
		return "application/x-empty"
	case has(0, "MZ"):
		return "application/x-msdownload"
	case has(0, "\x7fELF"):
		return "application/x-executable"
	case has(0, "\xfe\xed\xfa\xce"), has(0, "\xfe\xed\xfa\xcf"), has(0, "\xce\xfa\xed\xfe"), has(0, "\xcf\xfa\xed\xfe"), has(0, "\xca\xfe\xba\xbe"):
		return "application/x-mach-binary"
	case has(0, "#!AMR"):
		return "audio/amr"
	case has(0, "#!"):
		return "text/x-shellscript"
	case has(0, "OggS"):
		return oggType(head)
	case has(0, "fLaC"):
		return "audio/flac"
	case has(4, "ftyp") && len(head) >= 12:
		return isoType(string(head[8:12]))
	case has(0, "\x1a\x45\xdf\xa3"):
		return ebmlType(head)
	case has(0, "%PDF-"):
		return "application/pdf"
	case has(0, "PK\x03\x04"):
		return zipType(head, ext)
	case has(0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
		// A compound file may be a Word, Excel or PowerPoint 97 document, or an installer (.msi):
		// only the name says which, so only Office names are accepted.
		switch ext {
		case ".doc":
			return MimeDOC
		case ".xls":
			return MimeXLS
		case ".ppt":
			return MimePPT
		}
		return "application/x-ole-storage"
	case len(head) >= 2 && head[0] == 0xff && head[1]&0xe0 == 0xe0:
		// An MPEG audio frame header; layer bits 00 mean ADTS, the framing of raw AAC.
		if (head[1]>>1)&3 == 0 {
			return "audio/aac"
		}
		return "audio/mpeg"
	}
	mt, _, _ := strings.Cut(http.DetectContentType(head), ";")
	switch mt = strings.TrimSpace(mt); mt {
	case "audio/wave":
		return "audio/wav"
	case "video/avi":
		return "video/x-msvideo"
	case "text/plain":
		return textType(ext)
	}
	return mt
}

// textType refuses plain text that is a script or markup by its name (it would be harmless as we
// serve it, but not once a contact downloads and opens it), and tells CSV from other text.
func textType(ext string) string {
	switch ext {
	case "", ".txt", ".text", ".log", ".md":
		return "text/plain"
	case ".csv", ".tsv":
		return "text/csv"
	}
	return "text/x-unknown" + ext
}

func oggType(head []byte) string {
	switch {
	case bytes.Contains(head, []byte("OpusHead")), bytes.Contains(head, []byte("\x01vorbis")):
		return "audio/ogg"
	case bytes.Contains(head, []byte("\x80theora")):
		return "video/ogg"
	}
	return "application/ogg"
}

// isoType reads the major brand of an ISO base media file (MP4 family).
func isoType(brand string) string {
	switch {
	case brand == "M4A " || brand == "M4B " || brand == "M4P ":
		return "audio/mp4"
	case brand == "qt  ":
		return "video/quicktime"
	case strings.HasPrefix(brand, "3g"):
		return "video/3gpp"
	case brand == "heic" || brand == "heix" || brand == "hevc" || brand == "hevx" || brand == "mif1" || brand == "msf1" || brand == "heim" || brand == "heis":
		return "image/heic"
	case brand == "avif" || brand == "avis":
		return "image/avif"
	}
	return "video/mp4"
}

// ebmlType tells WebM video from WebM audio (a browser's voice recording) by the codec ids of
// its tracks, which come before the first cluster.
func ebmlType(head []byte) string {
	if !bytes.Contains(head, []byte("webm")) {
		return "video/x-matroska"
	}
	for _, v := range []string{"V_VP8", "V_VP9", "V_AV1", "V_MPEG4"} {
		if bytes.Contains(head, []byte(v)) {
			return "video/webm"
		}
	}
	if bytes.Contains(head, []byte("A_OPUS")) || bytes.Contains(head, []byte("A_VORBIS")) {
		return "audio/webm"
	}
	return "video/webm"
}

// zipType tells Office Open XML, OpenDocument, Java and Android packages from plain zip archives
// by the names of the entries whose local headers fall within head.
func zipType(head []byte, ext string) string {
	// OpenDocument stores an uncompressed "mimetype" entry first, naming the type.
	if len(head) >= 38 && string(head[30:38]) == "mimetype" {
		rest := head[38:min(len(head), 38+80)]
		for _, t := range []string{MimeODT, MimeODS, MimeODP} {
			if bytes.HasPrefix(rest, []byte(t)) {
				return t
			}
		}
	}
	ooxml := false
	for _, name := range zipEntryNames(head) {
		switch {
		case strings.HasPrefix(name, "word/"):
			return MimeDOCX
		case strings.HasPrefix(name, "xl/"):
			return MimeXLSX
		case strings.HasPrefix(name, "ppt/"):
			return MimePPTX
		case name == "AndroidManifest.xml" || name == "classes.dex":
			return "application/vnd.android.package-archive"
		case name == "META-INF/MANIFEST.MF":
			return "application/java-archive"
		case name == "[Content_Types].xml":
			ooxml = true
		}
	}
	if ooxml {
		// An Office document whose part names lie beyond the sniffed bytes: trust an Office
		// extension, since the container is certainly Office Open XML.
		switch ext {
		case ".docx":
			return MimeDOCX
		case ".xlsx":
			return MimeXLSX
		case ".pptx":
			return MimePPTX
		}
	}
	return "application/zip"
}

// zipEntryNames returns the names of the local file headers found in head. It looks for every
// header signature rather than walking sizes, because streamed entries do not record theirs.
func zipEntryNames(head []byte) []string {
	var names []string
	sig := []byte("PK\x03\x04")
	for i := 0; ; {
		j := bytes.Index(head[i:], sig)
		if j < 0 {
			return names
		}
		i += j
		if i+30 > len(head) {
			return names
		}
		n := int(binary.LittleEndian.Uint16(head[i+26:]))
		if i+30+n <= len(head) {
			names = append(names, string(head[i+30:i+30+n]))
		}
		i += 4
	}
}
