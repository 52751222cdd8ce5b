/*
 * test_dsn: delivery status notifications as real MTAs write them
 * (Postfix, Exchange Online, Gmail, a delayed notice, a refusal for
 * policy, several recipients, RFC 6533's global form, a base64 status
 * part), mail that is no DSN, and SMTP replies read into the same terms.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "dsn.h"

static int read_report(const char *text, struct dsn *d)
{
	return dsn_read(text, strlen(text), d);
}

/* A multipart/report with the given delivery-status body and type. */
static const char *report(const char *status_type, const char *encoding, const char *status)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf),
		 "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
		 "To: pga-bounces@lists.example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
		 "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
		 "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"B.1/mx\"\r\n\r\n"
		 "This is a MIME-encapsulated message.\r\n\r\n--B.1/mx\r\nContent-Description: Notification\r\n"
		 "Content-Type: text/plain; charset=us-ascii\r\n\r\nI'm sorry to have to inform you...\r\n\r\n"
		 "--B.1/mx\r\nContent-Description: Delivery report\r\nContent-Type: %s\r\n%s\r\n%s\r\n"
		 "--B.1/mx\r\nContent-Description: Undelivered Message\r\nContent-Type: message/rfc822\r\n\r\n"
		 "From: pga@lists.example.org\r\nSubject: Plan\r\nContent-Type: multipart/report; boundary=x\r\n\r\n"
		 "--x\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; decoy@example.org\r\n"
		 "Action: failed\r\nStatus: 5.1.1\r\n\r\n--x--\r\n\r\n--B.1/mx--\r\n",
		 status_type, encoding, status);
	return buf;
}

static void postfix_permanent(void)
{
	struct dsn d;

	CHECK(read_report(report("message/delivery-status", "",
				 "Reporting-MTA: dns; mx.example.net\r\nX-Postfix-Queue-ID: 4ABC\r\n"
				 "Arrival-Date: Mon, 23 Nov 2026 10:00:00 +0100 (CET)\r\n\r\n"
				 "Final-Recipient: rfc822; carla@example.org\r\nOriginal-Recipient: rfc822;carla@example.org\r\n"
				 "Action: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mail.example.org\r\n"
				 "Diagnostic-Code: smtp; 550 5.1.1 <carla@example.org>: Recipient address\r\n"
				 "    rejected: User unknown in virtual mailbox table\r\n"),
			  &d) == 0);
	CHECK(d.n == 1); /* the decoy inside the returned message is not read */
	CHECK(strcmp(d.rcpt[0].final_recipient, "carla@example.org") == 0);
	CHECK(strcmp(d.rcpt[0].original_recipient, "carla@example.org") == 0);
	CHECK(strcmp(d.rcpt[0].action, "failed") == 0);
	CHECK(strcmp(d.rcpt[0].status, "5.1.1") == 0);
	CHECK(d.rcpt[0].kind == BOUNCE_PERMANENT);
	CHECK(strcmp(d.rcpt[0].diagnostic,
		     "smtp; 550 5.1.1 <carla@example.org>: Recipient address rejected: User unknown in virtual mailbox table") == 0);
	dsn_release(&d);
}

static void exchange_and_gmail(void)
{
	struct dsn d;

	/* Exchange Online: five-digit detail is not RFC 3463, the status is read as far as it is */
	CHECK(read_report(report("message/delivery-status", "",
				 "Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.exchangelabs.com\r\n\r\n"
				 "Final-recipient: RFC822; Dirk@Example.ORG\r\nAction: Failed\r\nStatus: 5.1.10\r\n"
				 "Diagnostic-code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found\r\n"
				 "X-Display-Name: Dirk\r\n"),
			  &d) == 0);
	CHECK(d.n == 1 && strcmp(d.rcpt[0].final_recipient, "Dirk@Example.ORG") == 0);
	CHECK(strcmp(d.rcpt[0].action, "failed") == 0 && strcmp(d.rcpt[0].status, "5.1.10") == 0);
	CHECK(d.rcpt[0].kind == BOUNCE_PERMANENT);
	dsn_release(&d);
	/* Gmail: no Original-Recipient, a status with a comment */
	CHECK(read_report(report("message/delivery-status", "",
				 "Reporting-MTA: dns; googlemail.com\r\nArrival-Date: Mon, 23 Nov 2026 01:00:00 -0800 (PST)\r\n\r\n"
				 "Final-Recipient: rfc822; eva@gmail.example\r\nAction: failed\r\nStatus: 5.2.2 (mailbox full)\r\n"
				 "Remote-MTA: dns; gmail-smtp-in.l.google.com.\r\n"
				 "Diagnostic-Code: smtp; The email account that you tried to reach is over quota.\r\n"),
			  &d) == 0);
	CHECK(strcmp(d.rcpt[0].status, "5.2.2") == 0 && *d.rcpt[0].original_recipient == '\0');
	dsn_release(&d);
}

static void delayed_policy_and_several(void)
{
	struct dsn d;

	CHECK(read_report(report("message/delivery-status", "",
				 "Reporting-MTA: dns; mx.example.net\r\n\r\n"
				 "Final-Recipient: rfc822; anna@example.org\r\nAction: delayed\r\nStatus: 4.4.7\r\n"
				 "Will-Retry-Until: Sat, 28 Nov 2026 10:00:00 +0100\r\n\r\n"
				 "Final-Recipient: rfc822; bart@example.org\r\nAction: failed\r\nStatus: 5.7.1\r\n"
				 "Diagnostic-Code: smtp; 550 5.7.1 Unauthenticated email from lists.example.org is not\r\n"
				 " accepted due to domain's DMARC policy\r\n\r\n"
				 "Final-Recipient: rfc822; jan@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n"
				 "Final-Recipient: rfc822; gijs@example.org\r\nAction: failed\r\n"),
			  &d) == 0);
	CHECK(d.n == 4);
	CHECK(d.rcpt[0].kind == BOUNCE_TRANSIENT && strcmp(d.rcpt[0].status, "4.4.7") == 0);
	CHECK(d.rcpt[1].kind == BOUNCE_POLICY);
	CHECK(d.rcpt[2].kind == BOUNCE_NONE);
	/* a failure without a Status is a permanent one */
	CHECK(d.rcpt[3].kind == BOUNCE_PERMANENT && strcmp(d.rcpt[3].status, "5.0.0") == 0);
	dsn_release(&d);
}

static void global_and_base64(void)
{
	struct dsn d;

	CHECK(read_report(report("message/global-delivery-status", "",
				 "Reporting-MTA: dns; mx.example.net\r\n\r\n"
				 "Final-Recipient: utf-8; zo\xc3\xab@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"),
			  &d) == 0);
	CHECK(d.n == 1 && strcmp(d.rcpt[0].final_recipient, "zo\xc3\xab@example.org") == 0);
	dsn_release(&d);
	/* "Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; fenna@example.org\r\nAction: failed\r\nStatus: 5.1.2\r\n" */
	CHECK(read_report(report("message/delivery-status", "Content-Transfer-Encoding: base64\r\n",
				 "UmVwb3J0aW5nLU1UQTogZG5zOyBteA0KDQpGaW5hbC1SZWNpcGllbnQ6IHJmYzgyMjsgZmVubmFAZXhh\r\n"
				 "bXBsZS5vcmcNCkFjdGlvbjogZmFpbGVkDQpTdGF0dXM6IDUuMS4yDQo=\r\n"),
			  &d) == 0);
	CHECK(d.n == 1 && strcmp(d.rcpt[0].final_recipient, "fenna@example.org") == 0);
	CHECK(strcmp(d.rcpt[0].status, "5.1.2") == 0);
	dsn_release(&d);
}

static void not_a_report(void)
{
	struct dsn d;

	CHECK(read_report("From: MAILER-DAEMON@mx.example.net\r\nSubject: Mail delivery failed\r\n\r\n"
			  "This message was created automatically by mail delivery software.\r\n\r\n"
			  "A message that you sent could not be delivered to one or more of its recipients.\r\n"
			  "  carla@example.org\r\n    Unrouteable address\r\n",
			  &d) < 0);
	CHECK(d.n == 0);
	CHECK(read_report("From: anna@example.org\r\nSubject: Afwezig\r\n\r\nIk ben op vakantie.\r\n", &d) < 0);
	/* a report with no recipient block says nothing about anyone */
	CHECK(read_report(report("message/delivery-status", "", "Reporting-MTA: dns; mx.example.net\r\n"), &d) < 0);
	CHECK(read_report("", &d) < 0);
}

static void smtp_replies(void)
{
	char status[16];

	dsn_status_of_reply(550, "5.7.1 Service unavailable; client host blocked", status);
	CHECK(strcmp(status, "5.7.1") == 0 && dsn_kind("failed", status) == BOUNCE_POLICY);
	dsn_status_of_reply(550, "no such user here", status);
	CHECK(strcmp(status, "5.0.0") == 0 && dsn_kind("failed", status) == BOUNCE_PERMANENT);
	/* an enhanced code whose class disagrees with the reply is not believed */
	dsn_status_of_reply(451, "5.1.1 odd server", status);
	CHECK(strcmp(status, "4.0.0") == 0 && dsn_kind("failed", status) == BOUNCE_TRANSIENT);
	dsn_status_of_reply(552, "5.2.2 <x@y>: mailbox full", status);
	CHECK(strcmp(status, "5.2.2") == 0);
	CHECK(strcmp(dsn_kind_name(BOUNCE_POLICY), "policy") == 0);
}

static const struct check_case cases[] = {
	{ "postfix_permanent", postfix_permanent },
	{ "exchange_and_gmail", exchange_and_gmail },
	{ "delayed_policy_and_several", delayed_policy_and_several },
	{ "global_and_base64", global_and_base64 },
	{ "not_a_report", not_a_report },
	{ "smtp_replies", smtp_replies },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
