CREATE TABLE `cursors` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `seen_events` (
	`source` text NOT NULL,
	`chain_id` integer NOT NULL,
	`tx_hash` text NOT NULL,
	`log_index` integer NOT NULL,
	`block_number` integer NOT NULL,
	`block_hash` text NOT NULL,
	`seen_at` integer NOT NULL,
	PRIMARY KEY(`source`, `chain_id`, `tx_hash`, `log_index`)
);
--> statement-breakpoint
CREATE TABLE `tx_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`intent_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`nonce` integer NOT NULL,
	`hash` text NOT NULL,
	`raw_tx` text NOT NULL,
	`gas` text NOT NULL,
	`max_fee_per_gas` text NOT NULL,
	`max_priority_fee_per_gas` text NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`broadcast_at` integer,
	`broadcast_block` integer,
	FOREIGN KEY (`intent_id`) REFERENCES `tx_intents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tx_attempts_hash_unique` ON `tx_attempts` (`hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `tx_attempts_intent_attempt` ON `tx_attempts` (`intent_id`,`attempt`);--> statement-breakpoint
CREATE TABLE `tx_intents` (
	`id` text PRIMARY KEY NOT NULL,
	`chain_id` integer NOT NULL,
	`from_address` text NOT NULL,
	`to_address` text NOT NULL,
	`data` text NOT NULL,
	`value` text NOT NULL,
	`label` text,
	`status` text NOT NULL,
	`nonce` integer NOT NULL,
	`gas` text NOT NULL,
	`mined_hash` text,
	`mined_block` integer,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `tx_intents_status` ON `tx_intents` (`chain_id`,`from_address`,`status`);