"""People and organisations: users (phone login, role), departments, API tokens and login codes."""

from __future__ import annotations

import hashlib
import re

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.roles import Role
from civicgrid.core import immutable
from civicgrid.core.masking import mask_name, mask_phone

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
AREA_CODE_RE = re.compile(r"^(\d{6}|\d{9})$")
# Checks of a command area code against the grid (grids fills it in its AppConfig.ready: accounts sits
# below grids): each takes the code and returns None, or why the code names no district or street.
command_area_checks: list = []


def validate_phone(value: str) -> None:
    if not PHONE_RE.match(value or ""):
        raise ValidationError(_("请输入 11 位中国大陆手机号码"), code="phone")


class DepartmentKind(models.TextChoices):
    BUREAU = "bureau", _("委办局")
    SECTION = "section", _("科室/中队")
    STREET_OFFICE = "street_office", _("街道办事处")
    ENTERPRISE = "enterprise", _("公用企业")
    CENTRE = "centre", _("指挥中心")


class Department(models.Model):
    """A 部门: a bureau, its sections, a street office or a utility that handles cases."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(
        _("类型"), max_length=20, choices=DepartmentKind.choices, default=DepartmentKind.BUREAU
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        node, seen = self.parent, {self.pk}
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": _("上级部门不能形成循环")})
            seen.add(node.pk)
            node = node.parent


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra: object) -> User:
        validate_phone(phone)
        user = self.model(phone=phone, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("role", Role.ADMIN)
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: a citizen by phone number, or staff with a role and a department."""

    phone = models.CharField(_("手机号"), max_length=11, unique=True, validators=[validate_phone])
    real_name = models.CharField(_("姓名"), max_length=40, blank=True)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.CITIZEN)
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    # 两级指挥: the 6-digit code of the district or the 9-digit code of the street whose command centre this
    # dispatcher or leader works in; empty: the whole city (grids/scope.py reads it, cases/access.py applies it).
    command_area = models.CharField(
        _("指挥范围"),
        max_length=9,
        blank=True,
        default="",
        help_text=_(
            "区县代码（6 位）或街道编码（9 位）：只看、只办该区域的案件；留空为全市 "
            "(a district's or a street's code: only that area's cases; empty: the whole city)."
        ),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    is_staff = models.BooleanField(_("可登录管理后台"), default=False)
    date_joined = models.DateTimeField(_("注册时间"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["id"]

    def __str__(self) -> str:
        """What pickers (the admin's selects, the console) show: staff by name and phone, citizens masked."""
        return self.picker_label

    @property
    def is_staff_role(self) -> bool:
        from civicgrid.accounts.roles import STAFF_ROLES

        return self.role in STAFF_ROLES

    @property
    def picker_label(self) -> str:
        """Staff: "刘洋 13900000004" (a colleague is picked by who they are); citizens: 王* (masked)."""
        if self.is_staff_role and self.real_name:
            return f"{self.real_name} {self.phone}"
        return self.full_display_name if self.is_staff_role else self.display_name

    @property
    def own_label(self) -> str:
        """The signed-in person's name in the page header: staff read their own name, citizens a masked one
        (a phone in the hand is read over shoulders)."""
        return self.full_display_name if self.is_staff_role else self.display_name

    def clean(self) -> None:
        from civicgrid.accounts.roles import DEPARTMENT_ROLES, SCOPED_ROLES

        if self.role in DEPARTMENT_ROLES and self.department_id is None:
            raise ValidationError({"department": _("部门人员必须属于一个部门")})
        if self.command_area:
            if not AREA_CODE_RE.match(self.command_area):
                raise ValidationError(
                    {
                        "command_area": _(
                            "指挥范围应为 6 位区县代码或 9 位街道编码 "
                            "(a 6-digit district code or a 9-digit street code)."
                        )
                    }
                )
            if self.is_superuser or self.role not in SCOPED_ROLES:
                raise ValidationError(
                    {
                        "command_area": _(
                            "只有受理员/值班长和领导可以限定指挥范围 "
                            "(only dispatchers and leaders can be given a command area)."
                        )
                    }
                )
            for check in command_area_checks:
                problem = check(self.command_area)
                if problem:
                    raise ValidationError({"command_area": problem})

    @property
    def display_name(self) -> str:
        """The masked name shown to anyone who does not need the person's identity (王*)."""
        return mask_name(self.real_name) if self.real_name else mask_phone(self.phone)

    @property
    def full_display_name(self) -> str:
        return self.real_name or self.phone

    def get_full_name(self) -> str:
        return self.full_display_name

    def get_short_name(self) -> str:
        return self.display_name


class ApiClientKind(models.TextChoices):
    DEPARTMENT = "department", _("部门业务系统")
    HOTLINE = "hotline", _("12345 热线系统")
    PLATFORM = "platform", _("上级/省级平台")
    CIVIC = "civic", _("社会应用（Open311）")
    PERSONAL = "personal", _("个人令牌")


class ApiClient(models.Model):
    """An organisation's system that calls the API (API 客户端): a bureau, the 12345 hotline, a provincial
    platform, a civic tool.

    It acts as its account (`user`): the account's role and department decide which cases it sees and
    which moves it may make, exactly as in the console; `scopes` narrow which endpoints its keys may
    call (accounts/scopes.py). Its keys are `ApiKey` rows.
    """

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(
        _("类型"), max_length=20, choices=ApiClientKind.choices, default=ApiClientKind.DEPARTMENT
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="api_clients",
    )
    user = models.ForeignKey(
        User,
        verbose_name=_("代表账号"),
        on_delete=models.PROTECT,
        related_name="api_clients",
        help_text=_("客户端以此账号的角色和部门办理业务"),
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    scopes = models.JSONField(_("权限范围"), default=list, blank=True)
    streets = models.JSONField(_("限定街道"), default=list, blank=True, help_text=_("街道编码；为空表示不限"))
    rate_limit_per_minute = models.PositiveIntegerField(_("每分钟调用上限"), default=600)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("API 客户端")
        verbose_name_plural = _("API 客户端")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class ApiKey(models.Model):
    """A key of an API client (密钥). Only its SHA-256 is stored; the prefix is what people see.

    A rotated key keeps working until `expires_at` (the overlap); a revoked key stops at once.
    """

    client = models.ForeignKey(
        ApiClient, verbose_name=_("客户端"), on_delete=models.CASCADE, related_name="keys"
    )
    prefix = models.CharField(_("前缀"), max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API 密钥")
        verbose_name_plural = _("API 密钥")

    def __str__(self) -> str:
        return f"{self.client} ({self.prefix}…)"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class LoginCode(models.Model):
    """A one-time SMS login code (短信验证码). Only a keyed hash of the code is stored.

    The newest unused code of a phone is the only one that counts; it expires after a few minutes
    and dies after too many wrong tries (see `services.login_code_verify`).
    """

    phone = models.CharField(_("手机号"), max_length=11)
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("过期时间"))
    attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("登录验证码")
        verbose_name_plural = _("登录验证码")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phone", "-created_at"], name="logincode_phone_idx")]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)} {self.created_at:%Y-%m-%d %H:%M:%S}"


class SmsQuota(models.Model):
    """One counter of login-code SMS in one window (accounts/smsguard.py): per client address and hour,
    per browser session and day (numbers and sends), and the day's budget for the whole platform.

    A slot is taken by one conditional UPDATE (count < limit), so two requests at once cannot both
    take the last one. `key` holds an address, a session key or a keyed hash — never a phone number.
    """

    scope = models.CharField(_("范围"), max_length=16)
    key = models.CharField(_("对象"), max_length=128)
    window = models.DateTimeField(_("时段起点"))
    count = models.PositiveIntegerField(_("次数"), default=0)

    class Meta:
        verbose_name = _("短信发送计数")
        verbose_name_plural = _("短信发送计数")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key", "window"], name="smsquota_scope_key_window")
        ]
        indexes = [models.Index(fields=["window"], name="smsquota_window_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} {self.window:%Y-%m-%d %H:%M}: {self.count}"


class PersonalDataErasure(models.Model):
    """个人信息删除记录: whose personal data was erased, by whom, when and why — never the data itself.

    Written by `services.personal_data_erase` in the transaction that masks the data; append-only
    like the history it masks (core/immutable.py): no row is changed or deleted.
    """

    IMMUTABLE = immutable.Columns()

    person = models.ForeignKey(
        User, verbose_name=_("当事人"), on_delete=models.PROTECT, related_name="+", db_index=False
    )  # erasure_once_per_person
    actor = models.ForeignKey(User, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(
        _("依据"),
        max_length=500,
        help_text=_("申请或法律依据，不写入被删除的个人信息"),
    )
    # How many values of each kind were masked, e.g. {"cases.CaseEvent.note": 3}.
    masked = models.JSONField(_("已处理"), default=dict)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("个人信息删除记录")
        verbose_name_plural = _("个人信息删除记录")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["person"], name="erasure_once_per_person")]

    def __str__(self) -> str:
        return f"#{self.person_id} {self.created_at:%Y-%m-%d %H:%M}"


class SmsDelivery(models.Model):
    """One text handed to an SMS gateway (accounts.smsgateways) and what the gateway said.

    The number is kept masked (138****0000): the record is for counting, cost and troubleshooting
    with the provider (its message id), not a copy of who was texted.
    """

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("网关已接收")
        FAILED = "failed", _("发送失败")

    created_at = models.DateTimeField(_("时间"), db_index=True)
    phone_masked = models.CharField(_("号码"), max_length=20)
    provider = models.CharField(_("网关"), max_length=20)
    kind = models.CharField(_("类型"), max_length=30)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    message_id = models.CharField(_("网关消息编号"), max_length=100, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("短信发送记录")
        verbose_name_plural = _("短信发送记录")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.provider} {self.phone_masked} {self.status}"


class ApiRateWindow(models.Model):
    """How many requests one API client made in one minute (`accounts.auth` checks its rate limit).

    Counted in the database, so the limit holds across the server's processes: one upsert per request
    adds one and reads the count back.
    """

    client = models.ForeignKey(
        ApiClient, verbose_name=_("客户端"), on_delete=models.CASCADE, related_name="+"
    )
    window = models.DateTimeField(_("时段起点"))
    count = models.PositiveIntegerField(_("次数"), default=0)

    class Meta:
        verbose_name = _("调用计数")
        verbose_name_plural = _("调用计数")
        constraints = [
            models.UniqueConstraint(fields=["client", "window"], name="apiratewindow_client_window")
        ]
        indexes = [models.Index(fields=["window"], name="apiratewindow_window_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.window:%Y-%m-%d %H:%M}: {self.count}"
