CREATE TABLE `attester_outbox` (
	`signature_id` integer NOT NULL,
	`relayer_url` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`acked_at` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`signature_id`, `relayer_url`),
	FOREIGN KEY (`signature_id`) REFERENCES `attester_signatures`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `attester_outbox_due` ON `attester_outbox` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `attester_requests` (
	`request_id` text PRIMARY KEY NOT NULL,
	`seen_on_chain_id` integer NOT NULL,
	`src_chain_id` text NOT NULL,
	`dst_chain_id` text NOT NULL,
	`request` text NOT NULL,
	`deadline` text NOT NULL,
	`block_number` integer NOT NULL,
	`block_hash` text NOT NULL,
	`tx_hash` text NOT NULL,
	`log_index` integer NOT NULL,
	`state` text NOT NULL,
	`note` text,
	`seen_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `attester_requests_state` ON `attester_requests` (`state`,`block_number`);--> statement-breakpoint
CREATE TABLE `attester_signatures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`request_id` text NOT NULL,
	`kind` text NOT NULL,
	`validator_set_version` text NOT NULL,
	`chain_id` integer NOT NULL,
	`verifying_contract` text NOT NULL,
	`signer` text NOT NULL,
	`digest` text NOT NULL,
	`signature` text NOT NULL,
	`attestation` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`request_id`) REFERENCES `attester_requests`(`request_id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `attester_signatures_request` ON `attester_signatures` (`request_id`,`kind`);--> statement-breakpoint
CREATE UNIQUE INDEX `attester_signatures_once` ON `attester_signatures` (`request_id`,`kind`,`validator_set_version`);