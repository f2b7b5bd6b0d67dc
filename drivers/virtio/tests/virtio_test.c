// SPDX-License-Identifier: MIT
/*
 * The virtio device core against a fake transport: feature negotiation
 * (§3.1.1), a device that refuses it, and a device nobody drives.
 */
#include <errno.h>

#include <drivers/virtio.h>
#include <kernel/test.h>

struct fakedev {
	struct virtio_dev vd;
	uint64_t offered, accepted;
	uint8_t status;
	bool refuse_features_ok;
	int resets;
};

static struct fakedev *fd(struct virtio_dev *vd)
{
	return (struct fakedev *)vd;
}

static uint64_t fake_get_features(struct virtio_dev *vd)
{
	return fd(vd)->offered;
}

static void fake_set_features(struct virtio_dev *vd, uint64_t f)
{
	fd(vd)->accepted = f;
}

static uint8_t fake_get_status(struct virtio_dev *vd)
{
	return fd(vd)->status;
}

static void fake_set_status(struct virtio_dev *vd, uint8_t s)
{
	struct fakedev *f = fd(vd);

	if (s == 0)
		f->resets++;
	if (f->refuse_features_ok)
		s &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	f->status = s;
}

static const struct virtio_transport fake_modern = {
	.name = "fake",
	.get_features = fake_get_features,
	.set_features = fake_set_features,
	.get_status = fake_get_status,
	.set_status = fake_set_status,
};

static const struct virtio_transport fake_legacy = {
	.name = "fake-legacy",
	.legacy = true,
	.get_features = fake_get_features,
	.set_features = fake_set_features,
	.get_status = fake_get_status,
	.set_status = fake_set_status,
};

static void fake_init(struct fakedev *f, const struct virtio_transport *ops, uint64_t offered)
{
	*f = (struct fakedev){ .vd = { .name = "fake", .ops = ops }, .offered = offered };
}

TEST(virtio, modern_negotiation_takes_the_common_subset_and_version_1)
{
	struct fakedev f;

	fake_init(&f, &fake_modern, 1ull << VIRTIO_F_VERSION_1 | 1ull << 5 | 1ull << 6);
	ASSERT_EQ(virtio_negotiate(&f.vd, 1ull << 5 | 1ull << 7), 0);
	EXPECT_UEQ(f.accepted, 1ull << VIRTIO_F_VERSION_1 | 1ull << 5);
	EXPECT_UEQ(f.vd.features, f.accepted);
	EXPECT_TRUE(f.status & VIRTIO_STATUS_FEATURES_OK);
}

TEST(virtio, legacy_negotiation_has_only_32_bits_and_no_features_ok)
{
	struct fakedev f;

	fake_init(&f, &fake_legacy, 1ull << 5 | 1ull << 35);
	ASSERT_EQ(virtio_negotiate(&f.vd, 1ull << 5 | 1ull << 35), 0);
	EXPECT_UEQ(f.accepted, 1ull << 5);
	EXPECT_FALSE(f.status & VIRTIO_STATUS_FEATURES_OK);
}

TEST(virtio, refused_features_or_no_version_1_fail_negotiation)
{
	struct fakedev f;

	fake_init(&f, &fake_modern, 1ull << VIRTIO_F_VERSION_1);
	f.refuse_features_ok = true;
	EXPECT_EQ(virtio_negotiate(&f.vd, 0), -EIO);

	fake_init(&f, &fake_modern, 1ull << 5);
	EXPECT_EQ(virtio_negotiate(&f.vd, 1ull << 5), -ENODEV);
}

TEST(virtio, failed_probe_marks_the_device_failed)
{
	struct fakedev f;

	/* A net device whose FEATURES_OK does not stick: the driver gives
	 * up, the core reports it and sets FAILED; nothing else breaks. */
	fake_init(&f, &fake_modern, 1ull << VIRTIO_F_VERSION_1);
	f.vd.device_id = VIRTIO_ID_NET;
	f.refuse_features_ok = true;
	EXPECT_EQ(virtio_probe_device(&f.vd), -EIO);
	EXPECT_GE(f.resets, 1);
	EXPECT_TRUE(f.status & VIRTIO_STATUS_FAILED);
	EXPECT_FALSE(f.status & VIRTIO_STATUS_DRIVER_OK);
}

TEST(virtio, unknown_device_is_reset_and_skipped)
{
	struct fakedev f;

	fake_init(&f, &fake_modern, 1ull << VIRTIO_F_VERSION_1);
	f.vd.device_id = 42;
	EXPECT_EQ(virtio_probe_device(&f.vd), -ENODEV);
	EXPECT_EQ(f.status, 0);
	EXPECT_EQ(f.resets, 2);
}
