CREATE TABLE `fee_decisions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`chain_id` integer NOT NULL,
	`pool_id` text NOT NULL,
	`decided_at` integer NOT NULL,
	`block_timestamp` integer NOT NULL,
	`block_number` integer NOT NULL,
	`sigma` real,
	`samples` integer NOT NULL,
	`old_fee` integer NOT NULL,
	`target_fee` integer,
	`clamped_target` integer,
	`new_fee` integer,
	`action` text NOT NULL,
	`skip_reason` text,
	`reason` text NOT NULL,
	`intent_id` text,
	`tx_hash` text,
	`tx_status` text,
	`tx_note` text
);
--> statement-breakpoint
CREATE INDEX `fee_decisions_pool` ON `fee_decisions` (`chain_id`,`pool_id`,`id`);--> statement-breakpoint
CREATE INDEX `fee_decisions_action` ON `fee_decisions` (`action`,`id`);