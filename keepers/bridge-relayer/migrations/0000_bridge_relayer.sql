CREATE TABLE `bridge_attestations` (
	`request_id` text NOT NULL,
	`kind` text NOT NULL,
	`validator_set_version` text NOT NULL,
	`signer` text NOT NULL,
	`signature` text NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`request_id`, `kind`, `validator_set_version`, `signer`),
	FOREIGN KEY (`request_id`) REFERENCES `bridge_requests`(`request_id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `bridge_requests` (
	`request_id` text PRIMARY KEY NOT NULL,
	`src_chain_id` integer NOT NULL,
	`dst_chain_id` integer NOT NULL,
	`src_bridge` text NOT NULL,
	`dst_bridge` text NOT NULL,
	`src_token` text NOT NULL,
	`dst_token` text NOT NULL,
	`sender` text NOT NULL,
	`recipient` text NOT NULL,
	`amount` text NOT NULL,
	`deadline` text NOT NULL,
	`nonce` text NOT NULL,
	`status` text NOT NULL,
	`kind` text,
	`intent_id` text,
	`tx_hash` text,
	`settled_by` text,
	`reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`checked_at` integer
);
--> statement-breakpoint
CREATE INDEX `bridge_requests_status` ON `bridge_requests` (`status`,`updated_at`);