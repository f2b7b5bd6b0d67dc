// SPDX-License-Identifier: MIT
/*
 * x86_64 boot stub: the UEFI entry (efi_main, called by GNU-EFI's crt0) that
 * turns what the firmware knows into a struct boot_info and enters the
 * kernel after ExitBootServices.
 *
 * The whole image is the EFI application: one PE/COFF file,
 * \EFI\BOOT\BOOTX64.EFI on the ESP, and no separate kernel ELF. Why:
 *  - Any UEFI boot path starts it as it is (the removable-media path, a
 *    boot entry made with efibootmgr, the UEFI shell, another boot manager
 *    chain-loading it), as with Linux's EFI stub. There is one link and one
 *    file, and no loader/kernel pair to keep in step.
 *  - No fixed physical address: the firmware puts the image where it has
 *    free memory. A kernel ELF linked at a fixed address needs that address
 *    to be free RAM on every machine (UEFI keeps its own data in low memory,
 *    and OVMF's layout changes with -m), or a relocating loader anyway.
 *  - The price is position independence. Everything is compiled -fpic (and
 *    -fvisibility=hidden, so that references stay PC-relative rather than
 *    going through the GOT), linked as a shared object at address 0
 *    (linker/x86_64.ld) and turned into PE/COFF by objcopy; at run time
 *    crt0's _relocate applies the R_X86_64_RELATIVE relocations for wherever
 *    the firmware loaded it. The build fails on any other kind of dynamic
 *    relocation (arch/x86_64/arch.mk), which _relocate would skip silently.
 *    Addresses are only known at run time, which backtraces do not mind:
 *    the symbol table holds offsets from __executable_start, the image's
 *    ImageBase.
 *  - After ExitBootServices the image stays where it was loaded, in
 *    EfiLoaderCode memory, which is reported as usable RAM like the rest of
 *    the loader and boot-services memory; the kernel reserves the image,
 *    [__executable_start, _end), itself. The page tables identity-map RAM,
 *    so the image's virtual and physical addresses stay equal.
 *
 * The kernel command line comes from, in order:
 *  1. the UEFI shell's arguments after the program name, when the shell
 *     started the image: Shell> fs0:\EFI\BOOT\BOOTX64.EFI procs=2 -- a b
 *  2. the image's load options, which for a boot entry are its optional
 *     data: efibootmgr --create --disk /dev/sda --part 1 --label Weft
 *     --loader '\EFI\BOOT\BOOTX64.EFI' --unicode 'procs=2 -- a b'
 *     (options that are not UCS-2 text, such as the GUID that OVMF puts in
 *     the boot entries it makes, are ignored);
 *  3. the text file \EFI\weft\cmdline.txt on the image's own volume, which
 *     `make run ARGS=...` writes (arch/x86_64/esp.sh).
 */
#include <efi.h>

#include <errno.h>
#include <string.h>

#include <arch.h>
#include <arch/x86.h>
#include <drivers/acpi.h>
#include <kernel/boot_info.h>
#include <kernel/printk.h>

#define CMDLINE_PATH u"\\EFI\\weft\\cmdline.txt"
#define MMAP_BUF_SIZE (64 * 1024) /* over a thousand descriptors */
#define EXIT_BOOT_TRIES 8
#define PAGE_SIZE 4096ull

extern char __executable_start[], _end[];

static EFI_SYSTEM_TABLE *st;
static EFI_BOOT_SERVICES *bs;
static struct boot_info bi;
static size_t cmdline_len;

/* The memory map, kept in the image: allocating a buffer would change the
 * map it is meant to hold. */
static UINT8 mmap_buf[MMAP_BUF_SIZE] __attribute__((aligned(16)));
static UINTN mmap_size, mmap_desc_size;
static uint64_t image_base, image_size;

/* ---- talking to the firmware ---- */

/* Write ASCII text on the firmware's console (before ExitBootServices). */
static void efi_print(const char *s)
{
	CHAR16 buf[128];
	UINTN n = 0;

	for (;; s++) {
		if (*s == '\n')
			buf[n++] = '\r';
		if (*s)
			buf[n++] = (unsigned char)*s;
		if (!*s || n + 2 >= ARRAY_SIZE(buf)) {
			buf[n] = 0;
			uefi_call_wrapper(st->ConOut->OutputString, 2, st->ConOut, buf);
			n = 0;
		}
		if (!*s)
			return;
	}
}

static void efi_error(const char *what, EFI_STATUS status)
{
	char msg[160];

	ksnprintf(msg, sizeof(msg), "weft: %s (EFI status 0x%llx)\n", what,
		  (unsigned long long)status);
	efi_print(msg);
}

static bool guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static EFI_STATUS handle_protocol(EFI_HANDLE h, EFI_GUID guid, void **iface)
{
	return uefi_call_wrapper(bs->HandleProtocol, 3, h, &guid, iface);
}

/* ---- the command line ---- */

static void cmdline_putc(char c)
{
	if (cmdline_len + 1 < sizeof(bi.cmdline)) {
		bi.cmdline[cmdline_len++] = c;
		bi.cmdline[cmdline_len] = '\0';
	}
}

/* Append text, with white space as plain spaces and anything outside
 * printable ASCII dropped. */
static void cmdline_put_ucs2(const CHAR16 *s, UINTN n)
{
	for (UINTN i = 0; i < n && s[i]; i++) {
		if (s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
			cmdline_putc(' ');
		else if (s[i] >= 0x20 && s[i] < 0x7f)
			cmdline_putc((char)s[i]);
	}
}

/* Whether n UCS-2 units (up to a NUL) are text, rather than binary data. */
static bool ucs2_is_text(const CHAR16 *s, UINTN n)
{
	for (UINTN i = 0; i < n && s[i]; i++)
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') || s[i] >= 0x7f)
			return false;
	return n > 0 && s[0];
}

/* The UEFI shell passes its parsed words: all but argv[0], the program. */
static bool cmdline_from_shell(EFI_HANDLE image)
{
	EFI_SHELL_PARAMETERS_PROTOCOL *sp;

	if (EFI_ERROR(handle_protocol(image, (EFI_GUID)EFI_SHELL_PARAMETERS_PROTOCOL_GUID,
				      (void **)&sp)))
		return false;
	for (UINTN i = 1; i < sp->Argc; i++) {
		bool quote = false;

		for (const CHAR16 *c = sp->Argv[i]; *c; c++)
			quote |= *c == ' ' || *c == '\t';
		if (i > 1)
			cmdline_putc(' ');
		if (quote)
			cmdline_putc('"');
		cmdline_put_ucs2(sp->Argv[i], (UINTN)-1);
		if (quote)
			cmdline_putc('"');
	}
	return true;
}

static void cmdline_from_load_options(const EFI_LOADED_IMAGE *li)
{
	UINTN n = li->LoadOptionsSize / sizeof(CHAR16);

	if (li->LoadOptions && ucs2_is_text(li->LoadOptions, n))
		cmdline_put_ucs2(li->LoadOptions, n);
}

static void cmdline_from_file(EFI_HANDLE device)
{
	EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
	EFI_FILE_HANDLE root, f;
	static char buf[BOOT_CMDLINE_MAX];
	UINTN size = sizeof(buf);

	if (EFI_ERROR(handle_protocol(device, (EFI_GUID)EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID,
				      (void **)&fs)) ||
	    EFI_ERROR(uefi_call_wrapper(fs->OpenVolume, 2, fs, &root)))
		return;
	if (!EFI_ERROR(uefi_call_wrapper(root->Open, 5, root, &f, CMDLINE_PATH, EFI_FILE_MODE_READ,
					 0))) {
		if (!EFI_ERROR(uefi_call_wrapper(f->Read, 3, f, &size, buf))) {
			for (UINTN i = 0; i < size; i++) {
				char c = buf[i];

				if (c == '\t' || c == '\r' || c == '\n')
					cmdline_putc(' ');
				else if (c >= 0x20 && c < 0x7f)
					cmdline_putc(c);
			}
			if (size == sizeof(buf))
				efi_print(
					"weft: \\EFI\\weft\\cmdline.txt is too long; using its start\n");
		}
		uefi_call_wrapper(f->Close, 1, f);
	}
	uefi_call_wrapper(root->Close, 1, root);
}

static void cmdline_trim(void)
{
	while (cmdline_len && bi.cmdline[cmdline_len - 1] == ' ')
		bi.cmdline[--cmdline_len] = '\0';
}

/* ---- firmware tables ---- */

/* The ACPI RSDP from the configuration table, ACPI 2.0+ first (UEFI 2.10
 * §4.6.1.1). */
static paddr_t find_rsdp(void)
{
	EFI_GUID guids[] = { ACPI_20_TABLE_GUID, ACPI_TABLE_GUID };

	for (unsigned int g = 0; g < ARRAY_SIZE(guids); g++)
		for (UINTN i = 0; i < st->NumberOfTableEntries; i++)
			if (guid_eq(&st->ConfigurationTable[i].VendorGuid, &guids[g]))
				return (uintptr_t)st->ConfigurationTable[i].VendorTable;
	return 0;
}

/*
 * Get the memory map and exit boot services. If the map changed in between
 * (an event allocated memory), ExitBootServices fails with
 * EFI_INVALID_PARAMETER and the map must be fetched again (UEFI 2.10 §7.4.6);
 * nothing but memory services may be called in between.
 */
static EFI_STATUS exit_boot_services(EFI_HANDLE image)
{
	EFI_STATUS status = EFI_INVALID_PARAMETER;
	UINTN key;
	UINT32 version;

	for (int i = 0; i < EXIT_BOOT_TRIES && status == EFI_INVALID_PARAMETER; i++) {
		mmap_size = sizeof(mmap_buf);
		status = uefi_call_wrapper(bs->GetMemoryMap, 5, &mmap_size,
					   (EFI_MEMORY_DESCRIPTOR *)mmap_buf, &key, &mmap_desc_size,
					   &version);
		if (EFI_ERROR(status))
			return status;
		status = uefi_call_wrapper(bs->ExitBootServices, 2, image, key);
	}
	return status;
}

/* ---- after ExitBootServices ---- */

static EFI_MEMORY_DESCRIPTOR *desc(UINTN i)
{
	return (EFI_MEMORY_DESCRIPTOR *)(mmap_buf + i * mmap_desc_size);
}

enum mem_kind { MEM_SKIP, MEM_USABLE, MEM_FIRMWARE };

/*
 * Loader and boot-services memory is free once boot services have exited
 * (UEFI 2.10 §7.2, Table 7.6): only the image, which the kernel reserves
 * itself, is still in use. Runtime-services, ACPI and reserved memory is
 * the firmware's for good: never handed out, but mapped (ACPI tables live
 * there). MMIO, unusable and persistent memory are neither.
 */
static enum mem_kind mem_kind(UINT32 type)
{
	switch (type) {
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData:
	case EfiConventionalMemory:
		return MEM_USABLE;
	case EfiReservedMemoryType:
	case EfiRuntimeServicesCode:
	case EfiRuntimeServicesData:
	case EfiACPIReclaimMemory:
	case EfiACPIMemoryNVS:
	case EfiPalCode:
		return MEM_FIRMWARE;
	default:
		return MEM_SKIP;
	}
}

/* Sort the descriptors by address (the specification does not promise an
 * order), so that neighbours can be merged. */
static void sort_map(UINTN n)
{
	UINT8 tmp[128];

	if (mmap_desc_size > sizeof(tmp))
		return;
	for (UINTN i = 1; i < n; i++)
		for (UINTN j = i; j > 0 && desc(j - 1)->PhysicalStart > desc(j)->PhysicalStart;
		     j--) {
			memcpy(tmp, desc(j), mmap_desc_size);
			memcpy(desc(j), desc(j - 1), mmap_desc_size);
			memcpy(desc(j - 1), tmp, mmap_desc_size);
		}
}

struct run {
	uint64_t base, end;
	int dropped;
};

/* Extend the run with [base, end) when it touches, else flush it. */
static void run_add(struct run *r, uint64_t base, uint64_t end,
		    int (*flush)(struct boot_info *, paddr_t, uint64_t))
{
	if (r->end == base && r->end != r->base) {
		r->end = end;
		return;
	}
	if (r->end != r->base && flush(&bi, r->base, r->end - r->base) < 0)
		r->dropped++;
	r->base = base;
	r->end = end;
}

static void memory_from_map(void)
{
	UINTN n = mmap_desc_size ? mmap_size / mmap_desc_size : 0;
	struct run usable = { 0 }, firmware = { 0 };

	sort_map(n);
	for (UINTN i = 0; i < n; i++) {
		uint64_t base = desc(i)->PhysicalStart;
		uint64_t end = base + desc(i)->NumberOfPages * PAGE_SIZE;

		switch (mem_kind(desc(i)->Type)) {
		case MEM_USABLE:
			base = MAX(base, PAGE_SIZE); /* page 0 stays unmapped: NULL */
			if (base < end)
				run_add(&usable, base, end, boot_add_mem);
			break;
		case MEM_FIRMWARE:
			run_add(&firmware, base, end, boot_add_reserved);
			break;
		case MEM_SKIP:
			break;
		}
	}
	run_add(&usable, 0, 0, boot_add_mem);
	run_add(&firmware, 0, 0, boot_add_reserved);
	if (usable.dropped || firmware.dropped)
		printk("weft: the memory map has more than %d ranges of a kind; %d ignored\n",
		       BOOT_MAX_REGIONS, usable.dropped + firmware.dropped);

	/* The kernel reserves [__executable_start, _end); the firmware's idea
	 * of the image should be the same range. */
	uint64_t start = (uintptr_t)__executable_start, stop = (uintptr_t)_end;

	if (image_base < start || image_base + image_size > stop)
		boot_add_reserved(&bi, image_base, image_size);
	if (x86_ap_trampoline_page)
		boot_add_reserved(&bi, x86_ap_trampoline_page, X86_AP_TRAMPOLINE_SIZE);
}

/*
 * Pages below 1 MiB for the other CPUs' start-up trampoline (a start-up IPI
 * starts a CPU in real mode, in the first MiB: SDM vol. 3 §8.4.4.1). Taken
 * from the firmware, so that they are memory nobody else uses, and before
 * ExitBootServices, after which nothing hands out memory. Failing only
 * costs the other CPUs.
 */
static void alloc_ap_trampoline(void)
{
	EFI_PHYSICAL_ADDRESS addr = 0xfffff; /* the highest address the pages may reach */
	EFI_STATUS status =
		uefi_call_wrapper(bs->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData,
				  X86_AP_TRAMPOLINE_SIZE / PAGE_SIZE, &addr);

	if (EFI_ERROR(status))
		efi_error("no memory below 1 MiB to start the other CPUs from", status);
	else
		x86_ap_trampoline_page = addr;
}

/* CPUs from the MADT, the boot CPU first. */
static void cpus_from_acpi(void)
{
	uint64_t boot_id = x86_cpu_apic_id();
	int n = -ENOENT;

	if (!bi.acpi_rsdp) {
		printk("weft: the firmware has no ACPI tables; using the boot CPU only\n");
	} else if (acpi_init(bi.acpi_rsdp) == 0) {
		const struct acpi_header *madt = acpi_find(&acpi, "APIC", 0);

		if (madt)
			n = acpi_madt_cpus(madt, boot_id, bi.cpu_hwid, BOOT_MAX_CPUS);
		else
			printk("weft: ACPI has no MADT; using the boot CPU only\n");
		if (n == -EINVAL)
			printk("weft: the MADT is malformed; using the boot CPU only\n");
	}
	bi.ncpus = n > 0 ? (unsigned int)n : 1;
	bi.cpu_hwid[0] = boot_id;
}

static __noreturn void after_exit(void *arg)
{
	(void)arg;
	arch_console_init(&bi); /* COM1, so that what follows can report problems */
	memory_from_map();
	cpus_from_acpi();
	kernel_main(&bi);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_LOADED_IMAGE *li;
	EFI_STATUS status;

	st = systab;
	bs = systab->BootServices;
	status = handle_protocol(image, (EFI_GUID)EFI_LOADED_IMAGE_PROTOCOL_GUID, (void **)&li);
	if (EFI_ERROR(status)) {
		efi_error("the firmware has no loaded-image protocol", status);
		return status;
	}
	image_base = (uintptr_t)li->ImageBase;
	image_size = li->ImageSize;

	if (!cmdline_from_shell(image))
		cmdline_from_load_options(li);
	cmdline_trim();
	if (!cmdline_len)
		cmdline_from_file(li->DeviceHandle);
	cmdline_trim();
	bi.acpi_rsdp = find_rsdp();
	alloc_ap_trampoline();

	status = exit_boot_services(image);
	if (EFI_ERROR(status)) {
		/* Best effort: boot services may be half gone. */
		efi_error("could not get the memory map and exit boot services", status);
		return status;
	}
	arch_irq_disable();
	x86_call_on_boot_stack(after_exit, NULL);
}
