package e2e

import "github.com/chatcenterhq/chatcenter/api"

func hashForTest(pw string) (string, error) { return api.HashPassword(pw) }
