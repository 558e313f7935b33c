"""Volunteer service (志愿服务): volunteers, teams, activities and their shifts, sign-ups, check-in and
check-out, the organiser's review queue, approved hours (which become citizen points) and certificates.

The shape follows the Ministry of Civil Affairs' rules on volunteer service records (志愿服务记录与证明出具办法):
a volunteer is identified by a volunteer number (志愿者编号), never an ID-card number; whoever records a
service certifies it (the approving organiser); a certificate is free and verifiable.

    Team 队伍 ─< TeamMembership >─ VolunteerProfile 志愿者 (one per account)
    Activity 活动 ─< Shift 班次 ─< Signup 报名 (states below) ─< CheckAnomaly 异常待审
                                        └── hours approved → points.PointsEntry (source_key "volunteer:signup:<id>")
    VolunteerProfile ─< Certificate 志愿服务证明 · Award 表彰
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Department
from civicgrid.core import immutable
from civicgrid.grids.models import Community, Street


class ActivityType(models.TextChoices):
    TRAFFIC = "traffic", _("文明交通劝导")
    CLEANING = "cleaning", _("环境清洁")
    CARE = "care", _("关爱帮扶")
    CIVILIZED_CITY = "civilized_city", _("创城志愿")
    PUBLICITY = "publicity", _("政策宣传")
    EMERGENCY = "emergency", _("应急服务")
    OTHER = "other", _("其他")


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    CANCELLED = "cancelled", _("已取消")


class SignupMethod(models.TextChoices):
    INSTANT = "instant", _("即报即得")  # confirmed at once while there is room, else waitlisted
    APPROVAL = "approval", _("组织者审核")  # applied; the organiser confirms (or waitlists) it


class SignupState(models.TextChoices):
    APPLIED = "applied", _("待审核")
    CONFIRMED = "confirmed", _("已确认")
    WAITLISTED = "waitlisted", _("候补")
    CANCELLED = "cancelled", _("已取消")
    DECLINED = "declined", _("未通过")
    NO_SHOW = "no_show", _("缺席")
    ATTENDED = "attended", _("已参加")


# States that hold a place or a claim on one: a person has at most one such sign-up per shift.
ACTIVE_STATES = (SignupState.APPLIED, SignupState.CONFIRMED, SignupState.WAITLISTED)
# States that take one of the shift's `capacity` places.
SEATED_STATES = (SignupState.CONFIRMED, SignupState.ATTENDED)


class HoursState(models.TextChoices):
    NONE = "none", _("未签到")
    PENDING = "pending", _("待审定")  # checked out (or the shift ended): the organiser approves or corrects
    APPROVED = "approved", _("已审定")
    REJECTED = "rejected", _("不予认定")


class AnomalyKind(models.TextChoices):
    OUTSIDE_FENCE = "outside_fence", _("不在活动范围内")
    OUTSIDE_WINDOW = "outside_window", _("不在签到时间内")
    SECOND_CHECKIN = "second_checkin", _("重复签到")
    STALE_CODE = "stale_code", _("签到码已过期")
    NO_LOCATION = "no_location", _("未提供位置")
    NOT_SIGNED_UP = "not_signed_up", _("未报名（现场签到）")


class AnomalyState(models.TextChoices):
    OPEN = "open", _("待审核")
    ACCEPTED = "accepted", _("已认可")
    REJECTED = "rejected", _("已驳回")


class Qualification(models.Model):
    """A skill or certificate a shift may require (急救证, 驾驶证, 心理咨询, 手语 …)."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)

    class Meta:
        verbose_name = _("志愿资质")
        verbose_name_plural = _("志愿资质")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class VolunteerProfile(models.Model):
    """A registered volunteer (注册志愿者) on a citizen's account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="volunteer"
    )
    number = models.CharField(_("志愿者编号"), max_length=20, unique=True)
    real_name = models.CharField(_("姓名"), max_length=40)
    phone = models.CharField(_("手机号"), max_length=20)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    skills = models.JSONField(_("技能特长"), default=list, blank=True)
    qualifications = models.ManyToManyField(Qualification, verbose_name=_("资质"), blank=True)
    street = models.ForeignKey(
        Street, verbose_name=_("所在街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    consent_at = models.DateTimeField(_("同意服务协议时间"))
    created_at = models.DateTimeField(_("注册时间"), default=timezone.now)

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.real_name} {self.number}"


class Team(models.Model):
    """A volunteer team (志愿服务队伍) of a street or community, led by its leader."""

    name = models.CharField(_("队伍名称"), max_length=100)
    street = models.ForeignKey(
        Street, verbose_name=_("街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        Community, verbose_name=_("社区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("主管部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("队长"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_volunteer_teams",
    )
    members = models.ManyToManyField(VolunteerProfile, through="TeamMembership", related_name="teams")
    description = models.TextField(_("简介"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("志愿队伍")
        verbose_name_plural = _("志愿队伍")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("队员")
        verbose_name_plural = _("队员")
        constraints = [
            models.UniqueConstraint(fields=["team", "volunteer"], name="volunteer_team_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} ∈ {self.team}"


class Activity(models.Model):
    """A volunteer activity (志愿活动) at a place: a point, and optionally an area (GeoJSON polygon, WGS-84)
    inside which check-ins are accepted; without an area, within `fence_m` of the point."""

    title = models.CharField(_("活动名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=ActivityType.choices)
    description = models.TextField(_("活动内容"), blank=True)
    team = models.ForeignKey(
        Team,
        verbose_name=_("组织队伍"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("组织部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("组织者"), blank=True, related_name="organised_activities"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        Street, verbose_name=_("街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("地点"), max_length=200)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    area = models.JSONField(_("活动范围"), null=True, blank=True)  # GeoJSON Polygon, WGS-84
    fence_m = models.PositiveIntegerField(_("签到范围（米）"), default=300)
    status = models.CharField(
        _("状态"), max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT
    )
    # The secret behind the rotating venue code (core.tokens purpose "volunteer-venue"); replaced to kill
    # every code shown so far.
    venue_secret = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("志愿活动")
        verbose_name_plural = _("志愿活动")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "kind"], name="vol_activity_status_kind_idx")]

    def __str__(self) -> str:
        return self.title


class ActivityPhoto(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("图片"), upload_to="volunteers/activities/")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("活动图片")
        verbose_name_plural = _("活动图片")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.activity} #{self.pk}"


class Shift(models.Model):
    """A shift (班次) of an activity: its time, its places and who may take one."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="shifts"
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"))
    method = models.CharField(
        _("报名方式"), max_length=10, choices=SignupMethod.choices, default=SignupMethod.INSTANT
    )
    signup_deadline = models.DateTimeField(_("报名截止"), null=True, blank=True)
    qualification = models.ForeignKey(
        Qualification,
        verbose_name=_("所需资质"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    min_age = models.PositiveSmallIntegerField(_("最低年龄"), null=True, blank=True)
    waitlist = models.BooleanField(_("允许候补"), default=True)
    # Check-in window: from `checkin_before_min` minutes before the start to the end (check-out until
    # `checkout_after_min` after the end).
    checkin_before_min = models.PositiveIntegerField(_("提前签到（分钟）"), default=60)
    checkout_after_min = models.PositiveIntegerField(_("延后签退（分钟）"), default=60)
    # Places taken (confirmed + attended), kept by the sign-up services under the shift's row lock.
    seats_taken = models.PositiveIntegerField(_("已确认人数"), default=0, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("班次")
        verbose_name_plural = _("班次")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["starts_at"], name="vol_shift_starts_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="vol_shift_ends_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(seats_taken__lte=models.F("capacity")),
                name="vol_shift_never_over_capacity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity} {self.starts_at:%Y-%m-%d %H:%M}"


class Signup(models.Model):
    """One person's sign-up to one shift (报名), its check-in/out and the hours it earned."""

    shift = models.ForeignKey(Shift, verbose_name=_("班次"), on_delete=models.PROTECT, related_name="signups")
    volunteer = models.ForeignKey(
        VolunteerProfile, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="signups"
    )
    state = models.CharField(_("状态"), max_length=12, choices=SignupState.choices)
    created_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    # Waiting-list order: the first waitlisted (lowest) moves up when a place frees.
    waitlist_rank = models.PositiveBigIntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    checkin_lat = models.FloatField(null=True, blank=True)
    checkin_lon = models.FloatField(null=True, blank=True)
    checkin_by = models.ForeignKey(  # the organiser, when the organiser scanned the volunteer
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hours_state = models.CharField(
        _("时长审定"), max_length=10, choices=HoursState.choices, default=HoursState.NONE
    )
    hours_claimed = models.DecimalField(_("计算时长"), max_digits=5, decimal_places=2, null=True, blank=True)
    hours_approved = models.DecimalField(_("认定时长"), max_digits=5, decimal_places=2, null=True, blank=True)
    hours_note = models.CharField(_("审定说明"), max_length=200, blank=True)
    hours_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hours_approved_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("服务评价"), null=True, blank=True)  # 1–5, by the organiser
    evaluation = models.CharField(_("评语"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "volunteer"],
                condition=models.Q(state__in=["applied", "confirmed", "waitlisted"]),
                name="vol_one_active_signup_per_shift",
            ),
        ]
        indexes = [
            models.Index(fields=["shift", "state", "waitlist_rank"], name="vol_signup_shift_state_idx"),
            models.Index(fields=["volunteer", "state"], name="vol_signup_volunteer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} @ {self.shift}"


class SignupEvent(models.Model):
    """What happened to a sign-up, when and by whom (append-only): applied, confirmed, waitlisted,
    promoted, cancelled, declined, checked_in, checked_out, no_show, hours_approved, hours_corrected …"""

    IMMUTABLE = immutable.Columns(maskable=("note",))

    signup = models.ForeignKey(Signup, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("报名记录")
        verbose_name_plural = _("报名记录")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.action} {self.signup_id}"


class CheckAnomaly(models.Model):
    """A check-in or check-out that broke a rule (outside the fence or the window, a second check-in, an
    expired code …): not silently accepted, it waits in the organiser's review queue (异常待审)."""

    signup = models.ForeignKey(
        Signup, null=True, blank=True, on_delete=models.PROTECT, related_name="anomalies"
    )
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="anomalies")
    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.PROTECT, related_name="anomalies")
    kind = models.CharField(_("异常类型"), max_length=20, choices=AnomalyKind.choices)
    direction = models.CharField(_("签到/签退"), max_length=3)  # "in" | "out"
    detail = models.CharField(_("说明"), max_length=300)
    at = models.DateTimeField(_("发生时间"))
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    state = models.CharField(
        _("处理状态"), max_length=10, choices=AnomalyState.choices, default=AnomalyState.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("处理意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("签到异常")
        verbose_name_plural = _("签到异常")
        ordering = ["-id"]
        indexes = [models.Index(fields=["shift", "state"], name="vol_anomaly_shift_state_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.volunteer}"


class Award(models.Model):
    """An award or commendation (表彰奖励) in a volunteer's record."""

    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.PROTECT, related_name="awards")
    title = models.CharField(_("表彰名称"), max_length=100)
    awarded_on = models.DateField(_("表彰日期"))
    awarded_by = models.CharField(_("表彰单位"), max_length=100)

    class Meta:
        verbose_name = _("志愿表彰")
        verbose_name_plural = _("志愿表彰")
        ordering = ["-awarded_on", "id"]

    def __str__(self) -> str:
        return self.title


class Certificate(models.Model):
    """A volunteer service certificate (志愿服务证明), free of charge: the hours it states, as approved up
    to its issue, and a verification code whose page shows it is genuine. `digest` is the SHA-256 of
    what it certifies; a certificate whose stated figures do not hash to it is not genuine."""

    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.PROTECT, related_name="certificates")
    code = models.CharField(_("验证码"), max_length=40, unique=True)
    period_start = models.DateField(_("起始日期"), null=True, blank=True)
    period_end = models.DateField(_("截止日期"))
    hours = models.DecimalField(_("服务时长"), max_digits=8, decimal_places=2)
    activities = models.PositiveIntegerField(_("参加活动次数"))
    digest = models.CharField(max_length=64)
    issued_by = models.CharField(_("出具单位"), max_length=100)
    issued_at = models.DateTimeField(_("出具时间"), default=timezone.now)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("志愿服务证明")
        verbose_name_plural = _("志愿服务证明")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.code
