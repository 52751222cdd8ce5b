/*
 * web_token: login and session hashes, unsubscribe links; see web_token.h.
 */
#include "web_token.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "sbuf.h"

static void hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int read_key(const char *path, unsigned char key[WEB_KEY_SIZE], struct sbuf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			sbuf_addf(err, "%s: cannot open the web key: %m", path);
		return -1;
	}
	ssize_t n = read(fd, key, WEB_KEY_SIZE);
	close(fd);
	if (n != WEB_KEY_SIZE) {
		sbuf_addf(err, "%s: the web key must be %d octets; remove the file to have a new one made", path,
			  WEB_KEY_SIZE);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int web_key_load(const char *path, unsigned char key[WEB_KEY_SIZE], struct sbuf *err)
{
	if (read_key(path, key, err) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	/* Made under another name and linked into place: a reader never sees half a key, and of two makers one wins. */
	struct sbuf tmp = SBUF_INIT;
	unsigned char fresh[WEB_KEY_SIZE];
	sbuf_addf(&tmp, "%s.%ld.tmp", path, (long)getpid());
	int fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int ok = fd >= 0 && getrandom(fresh, sizeof(fresh), 0) == (ssize_t)sizeof(fresh) &&
		 write(fd, fresh, sizeof(fresh)) == (ssize_t)sizeof(fresh) && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (ok && link(tmp.buf, path) < 0 && errno != EEXIST)
		ok = 0;
	if (!ok)
		sbuf_addf(err, "%s: cannot make the web key: %m", path);
	unlink(tmp.buf);
	sbuf_release(&tmp);
	explicit_bzero(fresh, sizeof(fresh));
	return ok ? read_key(path, key, err) : -1;
}

void web_token_hash(const char *text, char out[65])
{
	unsigned char digest[32];

	gnutls_hash_fast(GNUTLS_DIG_SHA256, text, strlen(text), digest);
	hex(digest, sizeof(digest), out);
}

/* The MAC of (address, group) in hex, 32 digits (128 bits are plenty against guessing). */
static void mac_of(const unsigned char key[WEB_KEY_SIZE], const char *address, const char *group, char out[33])
{
	struct sbuf data = SBUF_INIT;
	unsigned char digest[32];

	sbuf_addstr(&data, "unsubscribe");
	sbuf_addch(&data, '\0');
	for (const char *p = address; *p; p++)
		sbuf_addch(&data, (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p));
	sbuf_addch(&data, '\0');
	for (const char *p = group; *p; p++)
		sbuf_addch(&data, (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p));
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, WEB_KEY_SIZE, data.buf, data.len, digest);
	hex(digest, 16, out);
	sbuf_release(&data);
}

void web_unsubscribe_token(const unsigned char key[WEB_KEY_SIZE], long long member_id, long long group_id,
			   const char *address, const char *group, struct sbuf *out)
{
	char mac[33];

	mac_of(key, address, group, mac);
	sbuf_addf(out, "%lld-%lld-%s", member_id, group_id, mac);
}

static int number(const char **p, long long *out)
{
	char *end;

	if (**p < '1' || **p > '9')
		return -1;
	errno = 0;
	*out = strtoll(*p, &end, 10);
	if (errno || *end != '-')
		return -1;
	*p = end + 1;
	return 0;
}

int web_unsubscribe_parse(const char *token, long long *member_id, long long *group_id)
{
	const char *p = token;

	if (number(&p, member_id) < 0 || number(&p, group_id) < 0 || strlen(p) != 32)
		return -1;
	for (; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return -1;
	return 0;
}

int web_unsubscribe_valid(const unsigned char key[WEB_KEY_SIZE], const char *token, long long member_id,
			  long long group_id, const char *address, const char *group)
{
	struct sbuf want = SBUF_INIT;
	unsigned char diff = 0;

	web_unsubscribe_token(key, member_id, group_id, address, group, &want);
	size_t n = strlen(token);
	if (n == want.len)
		for (size_t i = 0; i < n; i++)
			diff |= (unsigned char)(token[i] ^ want.buf[i]);
	else
		diff = 1;
	sbuf_release(&want);
	return diff == 0;
}
