package storage

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
)

// AudioDuration reads the playing time in seconds of an OGG (Opus or Vorbis) or WAV recording
// from its contents. ok is false for other formats and for files whose structure does not hold
// together; callers then know nothing about the duration.
func AudioDuration(mediaType string, r io.Reader) (seconds float64, ok bool) {
	switch mediaType {
	case "audio/ogg":
		return oggDuration(r)
	case "audio/wav":
		return wavDuration(r)
	}
	return 0, false
}

// oggDuration walks the pages of the first logical stream. The granule position of its last page
// counts the samples decoded so far: at 48 kHz for Opus, after discarding the header's pre-skip
// (RFC 7845 §4), and at the identification header's rate for Vorbis.
func oggDuration(r io.Reader) (float64, bool) {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		hdr     [27]byte
		segs    [255]byte
		serial  uint32
		rate    float64
		preSkip int64
		last    int64 = -1
	)
	for page := 0; ; page++ {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err == io.EOF && page > 0 {
				break
			}
			return 0, false
		}
		if string(hdr[:4]) != "OggS" || hdr[4] != 0 {
			return 0, false
		}
		granule := int64(binary.LittleEndian.Uint64(hdr[6:14]))
		pageSerial := binary.LittleEndian.Uint32(hdr[14:18])
		n := int(hdr[26])
		if _, err := io.ReadFull(br, segs[:n]); err != nil {
			return 0, false
		}
		bodyLen := 0
		for _, s := range segs[:n] {
			bodyLen += int(s)
		}
		if page == 0 {
			// The first page carries only the identification header of the first stream.
			if hdr[5]&0x02 == 0 {
				return 0, false
			}
			body := make([]byte, bodyLen)
			if _, err := io.ReadFull(br, body); err != nil {
				return 0, false
			}
			switch {
			case bytes.HasPrefix(body, []byte("OpusHead")) && len(body) >= 19:
				rate, preSkip = 48000, int64(binary.LittleEndian.Uint16(body[10:12]))
			case bytes.HasPrefix(body, []byte("\x01vorbis")) && len(body) >= 16:
				rate = float64(binary.LittleEndian.Uint32(body[12:16]))
			default:
				return 0, false
			}
			if rate <= 0 {
				return 0, false
			}
			serial = pageSerial
			continue
		}
		if _, err := br.Discard(bodyLen); err != nil {
			return 0, false
		}
		// -1 marks a page on which no packet ends; it says nothing about the position.
		if pageSerial == serial && granule != -1 {
			last = granule
		}
	}
	if last < 0 {
		return 0, false
	}
	return float64(max(last-preSkip, 0)) / rate, true
}

// wavDuration divides the length of the data chunk by the byte rate of the fmt chunk. The data
// length is the smaller of what the header claims and what the file holds, so neither a
// truncated file nor a lying header makes a long recording look short.
func wavDuration(r io.Reader) (float64, bool) {
	br := bufio.NewReader(r)
	var riff [12]byte
	if _, err := io.ReadFull(br, riff[:]); err != nil || string(riff[:4]) != "RIFF" || string(riff[8:]) != "WAVE" {
		return 0, false
	}
	var byteRate uint32
	for {
		var ch [8]byte
		if _, err := io.ReadFull(br, ch[:]); err != nil {
			return 0, false
		}
		size := int64(binary.LittleEndian.Uint32(ch[4:]))
		switch string(ch[:4]) {
		case "fmt ":
			if size < 16 || size > 1<<16 {
				return 0, false
			}
			data := make([]byte, size+size&1)
			if _, err := io.ReadFull(br, data); err != nil {
				return 0, false
			}
			byteRate = binary.LittleEndian.Uint32(data[8:12])
		case "data":
			if byteRate == 0 {
				return 0, false
			}
			held, err := io.Copy(io.Discard, br)
			if err != nil {
				return 0, false
			}
			// Streaming writers leave the size at 0 or 0xFFFFFFFF; what the file holds counts then.
			if size == 0 || size == 0xffffffff || size > held {
				size = held
			}
			return float64(size) / float64(byteRate), true
		default:
			if _, err := br.Discard(int(size + size&1)); err != nil {
				return 0, false
			}
		}
	}
}
