"""The chart of accounts, items and journal entries of an emulated company.

From Intuit's API reference (Account, Item and JournalEntry entity pages):

* ``Account``: ``Name`` (≤ 100 characters, unique, no colon or double quote) and ``AccountType``
  or ``AccountSubType`` (one of them is required: fault 6010); the sub-type must be one of the
  type's, and defaults to the type's default. ``Classification`` follows from the type.
  ``AcctNum`` is unique. A sub-account names its ``ParentRef`` (same type, ``SubAccount`` true,
  ``FullyQualifiedName`` ``Parent:Child``, five levels at most). System accounts (opening balance
  equity, undeposited funds, retained earnings, cash receipt income, cash expenditure expense,
  exchange gain or loss) can neither have sub-accounts nor be sub-accounts; the emulator also
  refuses to make them inactive or change their type (UNVERIFIED beyond Intuit's sub-account
  rule). Accounts are never deleted (``Active`` false).
* ``Item``: ``Type`` Service, NonInventory or Inventory (Group and Category items are not created
  through the API). Every sold item names an income account; an inventory item also names an
  expense (cost of goods sold) account, an asset account, ``QtyOnHand`` and ``InvStartDate``, and
  tracks its quantity (``TrackQtyOnHand`` true, which never goes back to false).
* ``JournalEntry``: lines of ``JournalEntryLineDetail`` (``PostingType`` Debit or Credit,
  ``AccountRef``, ``Amount`` ≥ 0), at least one debit and one credit, debits equal to credits; a
  line on an accounts receivable account names a customer (``Entity`` Type Customer), one on an
  accounts payable account a vendor. The fault QuickBooks gives an unbalanced entry is UNVERIFIED
  (here 6000, "Business Validation Error").
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import faults
from .faults import QBOFault
from .numbers import money, to_decimal

if TYPE_CHECKING:
    from .ledgerview import LedgerView as Ledger
    from .state import Record

ZERO = Decimal(0)
MAX_LEVELS = 5
ACCOUNT_TYPE_REQUIRED = "6010"
SYSTEM_SUB_TYPES = frozenset(
    {
        "OpeningBalanceEquity",
        "UndepositedFunds",
        "RetainedEarnings",
        "CashReceiptIncome",
        "CashExpenditureExpense",
        "ExchangeGainOrLoss",
    }
)
CLASSIFICATION = {
    "Bank": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Receivable": "Asset",
    "Equity": "Equity",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Long Term Liability": "Liability",
    "Other Current Liability": "Liability",
    "Income": "Revenue",
    "Other Income": "Revenue",
}
#: AccountType → (its default sub-type, every sub-type it takes). The reference's spelling and the
#: schema's where they differ are both taken.
ACCOUNT_SUB_TYPES: dict[str, tuple[str, frozenset[str]]] = {
    "Bank": (
        "CashOnHand",
        frozenset(
            {
                "CashAndCashEquivalents",
                "CashOnHand",
                "Checking",
                "MoneyMarket",
                "OtherEarMarkedBankAccounts",
                "RentsHeldInTrust",
                "Savings",
                "TrustAccounts",
            }
        ),
    ),
    "Other Current Asset": (
        "EmployeeCashAdvances",
        frozenset(
            {
                "AllowanceForBadDebts",
                "AssetsAvailableForSale",
                "BalWithGovtAuthorities",
                "CalledUpShareCapitalNotPaid",
                "DevelopmentCosts",
                "EmployeeCashAdvances",
                "ExpenditureAuthorisationsAndLettersOfCredit",
                "GlobalTaxDeferred",
                "GlobalTaxRefund",
                "InternalTransfers",
                "Inventory",
                "Investment_MortgageRealEstateLoans",
                "Investment_Other",
                "Investment_TaxExemptSecurities",
                "Investment_USGovernmentObligations",
                "LoansToOfficers",
                "LoansToOthers",
                "LoansToStockholders",
                "OtherConsumables",
                "OtherCurrentAssets",
                "PrepaidExpenses",
                "ProvisionsCurrentAssets",
                "Retainage",
                "ShortTermInvestmentsInRelatedParties",
                "ShortTermLoansAndAdvancesToRelatedParties",
                "TradeAndOtherReceivables",
                "UndepositedFunds",
            }
        ),
    ),
    "Fixed Asset": (
        "FurnitureAndFixtures",
        frozenset(
            {
                "AccumulatedAmortization",
                "AccumulatedDepletion",
                "AccumulatedDepreciation",
                "AssetsInCourseOfConstruction",
                "Buildings",
                "CapitalWip",
                "CumulativeDepreciationOnIntangibleAssets",
                "DepletableAssets",
                "FixedAssetComputers",
                "FixedAssetCopiers",
                "FixedAssetFurniture",
                "FixedAssetOtherToolsEquipment",
                "FixedAssetPhone",
                "FixedAssetPhotoVideo",
                "FixedAssetSoftware",
                "FurnitureAndFixtures",
                "IntangibleAssets",
                "IntangibleAssetsUnderDevelopment",
                "Land",
                "LandAsset",
                "LeaseholdImprovements",
                "MachineryAndEquipment",
                "NonCurrentAssets",
                "OtherFixedAssets",
                "ParticipatingInterests",
                "ProvisionsFixedAssets",
                "Vehicles",
            }
        ),
    ),
    "Other Asset": (
        "Licenses",
        frozenset(
            {
                "AccumulatedAmortizationOfOtherAssets",
                "AssetsHeldForSale",
                "AvailableForSaleFinancialAssets",
                "DeferredTax",
                "Goodwill",
                "Investments",
                "LeaseBuyout",
                "Licenses",
                "LongTermInvestments",
                "LongTermLoansAndAdvancesToRelatedParties",
                "OrganizationalCosts",
                "OtherIntangibleAssets",
                "OtherLongTermAssets",
                "OtherLongTermInvestments",
                "OtherLongTermLoansAndAdvances",
                "PrepaymentsAndAccruedIncome",
                "ProvisionsNonCurrentAssets",
                "SecurityDeposits",
            }
        ),
    ),
    "Accounts Receivable": (
        "AccountsReceivable",
        frozenset(
            {
                "AccountsReceivable",
            }
        ),
    ),
    "Equity": (
        "OpeningBalanceEquity",
        frozenset(
            {
                "AccumulatedAdjustment",
                "AccumulatedOtherComprehensiveIncome",
                "CalledUpShareCapital",
                "CapitalReserves",
                "CommonStock",
                "DividendDisbursed",
                "EquityInEarningsOfSubsiduaries",
                "EstimatedTaxes",
                "Funds",
                "Healthcare",
                "InvestmentGrants",
                "MoneyReceivedAgainstShareWarrants",
                "OpeningBalanceEquity",
                "OtherFreeReserves",
                "OwnersEquity",
                "PaidInCapitalOrSurplus",
                "PartnerContributions",
                "PartnerDistributions",
                "PartnersEquity",
                "PersonalExpense",
                "PersonalIncome",
                "PreferredStock",
                "RetainedEarnings",
                "ShareApplicationMoneyPendingAllotment",
                "ShareCapital",
                "TreasuryStock",
            }
        ),
    ),
    "Expense": (
        "Travel",
        frozenset(
            {
                "AdvertisingPromotional",
                "AmortizationExpense",
                "AppropriationsToDepreciation",
                "Auto",
                "BadDebts",
                "BankCharges",
                "BorrowingCost",
                "CharitableContributions",
                "CommissionsAndFees",
                "CostOfLabor",
                "DistributionCosts",
                "DuesSubscriptions",
                "Entertainment",
                "EntertainmentMeals",
                "EquipmentRental",
                "ExternalServices",
                "ExtraordinaryCharges",
                "FinanceCosts",
                "GlobalTaxExpense",
                "IncomeTaxExpense",
                "Insurance",
                "InterestPaid",
                "LegalProfessionalFees",
                "LossOnDiscontinuedOperationsNetOfTax",
                "ManagementCompensation",
                "OfficeExpenses",
                "OfficeGeneralAdministrativeExpenses",
                "OtherBusinessExpenses",
                "OtherCurrentOperatingCharges",
                "OtherExternalServices",
                "OtherMiscellaneousServiceCost",
                "OtherRentalCosts",
                "OtherSellingExpenses",
                "PayrollExpenses",
                "ProjectStudiesSurveysAssessments",
                "PromotionalMeals",
                "PurchasesRebates",
                "RentOrLeaseOfBuildings",
                "RepairMaintenance",
                "ShippingAndDeliveryExpense",
                "ShippingFreightDelivery",
                "StaffCosts",
                "Sundry",
                "SuppliesMaterials",
                "TaxesPaid",
                "Travel",
                "TravelExpensesGeneralAndAdminExpenses",
                "TravelExpensesSellingExpense",
                "TravelMeals",
                "UnappliedCashBillPaymentExpense",
                "Utilities",
            }
        ),
    ),
    "Other Expense": (
        "Depreciation",
        frozenset(
            {
                "Amortization",
                "DeferredTaxExpense",
                "Depletion",
                "Depreciation",
                "ExceptionalItems",
                "ExchangeGainOrLoss",
                "ExtraordinaryItems",
                "GasAndFuel",
                "HomeOffice",
                "HomeOwnerRentalInsurance",
                "IncomeTaxOtherExpense",
                "MatCredit",
                "MortgageInterest",
                "OtherHomeOfficeExpenses",
                "OtherMiscellaneousExpense",
                "OtherVehicleExpenses",
                "ParkingAndTolls",
                "PenaltiesSettlements",
                "PriorPeriodItems",
                "RentAndLease",
                "RepairsAndMaintenance",
                "TaxRoundoffGainOrLoss",
                "Utilities",
                "Vehicle",
                "VehicleInsurance",
                "VehicleLease",
                "VehicleLoan",
                "VehicleLoanInterest",
                "VehicleRegistration",
                "VehicleRepairs",
                "WashAndRoadServices",
                "HomeownerRentalInsurance",
                "MortgageInterestHomeOffice",
                "RentAndLeaseHomeOffice",
                "RepairsAndMaintainceHomeOffice",
            }
        ),
    ),
    "Cost of Goods Sold": (
        "CostOfLaborCos",
        frozenset(
            {
                "CostOfLaborCos",
                "CostOfSales",
                "EquipmentRentalCos",
                "FreightAndDeliveryCost",
                "OtherCostsOfServiceCos",
                "ShippingFreightDeliveryCos",
                "SuppliesMaterialsCogs",
                "FreightAndDeliveryCos",
            }
        ),
    ),
    "Accounts Payable": (
        "AccountsPayable",
        frozenset(
            {
                "AccountsPayable",
                "OutstandingDuesMicroSmallEnterprise",
                "OutstandingDuesOtherThanMicroSmallEnterprise",
            }
        ),
    ),
    "Credit Card": (
        "CreditCard",
        frozenset(
            {
                "CreditCard",
            }
        ),
    ),
    "Long Term Liability": (
        "NotesPayable",
        frozenset(
            {
                "AccrualsAndDeferredIncome",
                "AccruedLongLermLiabilities",
                "AccruedVacationPayable",
                "BankLoans",
                "DebtsRelatedToParticipatingInterests",
                "DeferredTaxLiabilities",
                "GovernmentAndOtherPublicAuthorities",
                "GroupAndAssociates",
                "LiabilitiesRelatedToAssetsHeldForSale",
                "LongTermBorrowings",
                "LongTermDebit",
                "LongTermEmployeeBenefitObligations",
                "NotesPayable",
                "ObligationsUnderFinanceLeases",
                "OtherLongTermLiabilities",
                "OtherLongTermProvisions",
                "ProvisionForLiabilities",
                "ProvisionsNonCurrentLiabilities",
                "ShareholderNotesPayable",
                "StaffAndRelatedLongTermLiabilityAccounts",
            }
        ),
    ),
    "Other Current Liability": (
        "OtherCurrentLiabilities",
        frozenset(
            {
                "AccruedLiabilities",
                "CurrentLiabilities",
                "CurrentPortionEmployeeBenefitsObligations",
                "CurrentPortionOfObligationsUnderFinanceLeases",
                "CurrentTaxLiability",
                "DirectDepositPayable",
                "DividendsPayable",
                "DutiesAndTaxes",
                "FederalIncomeTaxPayable",
                "GlobalTaxPayable",
                "GlobalTaxSuspense",
                "InsurancePayable",
                "InterestPayables",
                "LineOfCredit",
                "LoanPayable",
                "OtherCurrentLiabilities",
                "PayrollClearing",
                "PayrollTaxPayable",
                "PrepaidExpensesPayable",
                "ProvisionForWarrantyObligations",
                "ProvisionsCurrentLiabilities",
                "RentsInTrustLiability",
                "SalesTaxPayable",
                "ShortTermBorrowings",
                "SocialSecurityAgencies",
                "StaffAndRelatedLiabilityAccounts",
                "StateLocalIncomeTaxPayable",
                "SundryDebtorsAndCreditors",
                "TradeAndOtherPayables",
                "TrustAccountsLiabilities",
            }
        ),
    ),
    "Income": (
        "OtherPrimaryIncome",
        frozenset(
            {
                "CashReceiptIncome",
                "DiscountsRefundsGiven",
                "NonProfitIncome",
                "OperatingGrants",
                "OtherCurrentOperatingIncome",
                "OtherPrimaryIncome",
                "OwnWorkCapitalized",
                "RevenueGeneral",
                "SalesOfProductIncome",
                "SalesRetail",
                "SalesWholesale",
                "SavingsByTaxScheme",
                "ServiceFeeIncome",
                "UnappliedCashPaymentIncome",
            }
        ),
    ),
    "Other Income": (
        "OtherInvestmentIncome",
        frozenset(
            {
                "DividendIncome",
                "GainLossOnSaleOfFixedAssets",
                "GainLossOnSaleOfInvestments",
                "InterestEarned",
                "LossOnDisposalOfAssets",
                "OtherInvestmentIncome",
                "OtherMiscellaneousIncome",
                "OtherOperatingIncome",
                "TaxExemptInterest",
                "UnrealisedLossOnSecuritiesNetOfTax",
            }
        ),
    ),
}
SUB_TYPE_OWNER = {sub: kind for kind, (_, subs) in ACCOUNT_SUB_TYPES.items() for sub in subs}


def _ref(
    ledger: Ledger, entity: str, data: dict[str, Any], key: str, *, name_key: str = "Name"
) -> Record | None:
    found = ledger.resolve(entity, data.get(key), key, required=False)
    if found is None:
        data.pop(key, None)
        return None
    data[key] = {"value": found.id, "name": found.data.get(name_key, "")}
    return found


def _text(data: dict[str, Any], key: str, limit: int) -> None:
    value = data.get(key)
    if value is None:
        data.pop(key, None)
    elif not isinstance(value, str) or len(value) > limit:
        raise faults.invalid_property(f"{key} is text of at most {limit} characters", key)


# ---------------------------------------------------------------------------------------- accounts


def build_account(ledger: Ledger, data: dict[str, Any], existing: Record | None) -> None:
    name = data.get("Name")
    if not isinstance(name, str) or not name.strip():
        raise faults.required("Name")
    name = name.strip()
    if len(name) > 100 or '"' in name:
        raise faults.invalid_property("Name has at most 100 characters and no double quote", "Name")
    ledger.check_name("Account", name, existing, "Name")
    data["Name"] = name
    kind, sub_type = data.get("AccountType"), data.get("AccountSubType")
    if not kind and not sub_type:
        raise QBOFault(
            ACCOUNT_TYPE_REQUIRED,
            "Account type or detail type is required",
            "AccountType or AccountSubType must be specified",
            "AccountType",
        )
    if sub_type and not kind:
        kind = SUB_TYPE_OWNER.get(str(sub_type))
    if kind not in ACCOUNT_SUB_TYPES:
        raise faults.invalid_property(f"Unsupported AccountType {kind}", "AccountType")
    default, allowed = ACCOUNT_SUB_TYPES[kind]
    sub_type = sub_type or default
    if sub_type not in allowed:
        raise faults.invalid_property(
            f"AccountSubType {sub_type} is not a detail type of AccountType {kind}", "AccountSubType"
        )
    if existing is not None:
        before = existing.data.get("AccountSubType")
        if before in SYSTEM_SUB_TYPES and (sub_type != before or data.get("Active") is False):
            raise faults.business(
                f"Account {existing.id} ({existing.data.get('Name')}) is a system account: its type "
                "cannot change and it cannot be made inactive",
                "AccountSubType" if sub_type != before else "Active",
            )
        if (
            existing.data.get("Active") is not False
            and data.get("Active") is False
            and (existing.data.get("CurrentBalance") or ZERO) != ZERO
        ):
            pass  # QuickBooks lets an account with a balance go inactive (it posts a journal entry)
    data["AccountType"] = kind
    data["AccountSubType"] = sub_type
    data["Classification"] = CLASSIFICATION[kind]
    _text(data, "Description", 100)
    number = data.get("AcctNum")
    if number in (None, ""):
        data.pop("AcctNum", None)
    else:
        number = str(number)
        if ":" in number or len(number) > 20:
            raise faults.invalid_property("AcctNum has at most 20 characters and no colon", "AcctNum")
        for other in ledger.realm.table("Account"):
            if other.data.get("AcctNum") == number and (existing is None or other.id != existing.id):
                raise QBOFault(
                    faults.DUPLICATE_NAME,
                    "Duplicate Name Exists Error",
                    f"Another account is already using this number. Id={other.id}",
                    "AcctNum",
                )
        data["AcctNum"] = number
    _account_parent(ledger, data, existing, name, kind, sub_type)
    balance = existing.data.get("CurrentBalance", ZERO) if existing is not None else ZERO
    data["CurrentBalance"] = balance
    data["CurrentBalanceWithSubAccounts"] = balance
    before_currency = existing.data.get("CurrencyRef") if existing is not None else None
    given = (
        (data.get("CurrencyRef") or {}).get("value") if isinstance(data.get("CurrencyRef"), dict) else None
    )
    code = given or (before_currency or {}).get("value") or ledger.options.home_currency
    if before_currency is not None and code != before_currency.get("value"):
        raise faults.business("The currency of an account cannot change", "CurrencyRef")
    if code != ledger.options.home_currency:
        if not ledger.options.multi_currency:
            raise faults.business(
                f"Multicurrency is off for this company: accounts are in {ledger.options.home_currency}",
                "CurrencyRef",
            )
        if data["Classification"] in ("Revenue", "Expense"):
            raise faults.business("Income and expense accounts are in the home currency", "CurrencyRef")
    data["CurrencyRef"] = ledger.currency_ref(code)
    if data.get("TaxCodeRef") is not None:
        _ref(ledger, "TaxCode", data, "TaxCodeRef")


def _account_parent(
    ledger: Ledger, data: dict[str, Any], existing: Record | None, name: str, kind: str, sub_type: str
) -> None:
    parent = ledger.resolve("Account", data.get("ParentRef"), "ParentRef", required=False)
    if parent is None:
        data.pop("ParentRef", None)
        data["SubAccount"] = False
        data["FullyQualifiedName"] = name
        return
    if sub_type in SYSTEM_SUB_TYPES or parent.data.get("AccountSubType") in SYSTEM_SUB_TYPES:
        raise QBOFault(
            faults.INVALID_PARENT,
            "Invalid parent",
            "System accounts can neither have sub-accounts nor be sub-accounts",
            "ParentRef",
        )
    if parent.data.get("AccountType") != kind:
        raise QBOFault(
            faults.INVALID_PARENT, "Invalid parent", "A sub-account has its parent's AccountType", "ParentRef"
        )
    chain = str(parent.data.get("FullyQualifiedName") or parent.data["Name"])
    if existing is not None and (
        parent.id == existing.id or chain.startswith(f"{existing.data.get('FullyQualifiedName')}:")
    ):
        raise QBOFault(
            faults.INVALID_PARENT, "Invalid parent", "An account cannot be its own parent", "ParentRef"
        )
    if chain.count(":") + 2 > MAX_LEVELS:
        raise QBOFault(
            faults.INVALID_PARENT, "Invalid parent", f"Accounts nest at most {MAX_LEVELS} levels", "ParentRef"
        )
    data["ParentRef"] = {"value": parent.id}
    data["SubAccount"] = True
    data["FullyQualifiedName"] = f"{chain}:{name}"


# ------------------------------------------------------------------------------------------- items

ITEM_TYPES = frozenset({"Service", "NonInventory", "Inventory", "Category", "Group"})


def build_item(ledger: Ledger, data: dict[str, Any], existing: Record | None) -> None:
    name = data.get("Name")
    if not isinstance(name, str) or not name.strip():
        raise faults.required("Name")
    name = name.strip()
    if len(name) > 100:
        raise faults.invalid_property("Name is longer than 100 characters", "Name")
    ledger.check_name("Item", name, existing, "Name")
    data["Name"] = name
    data["FullyQualifiedName"] = name
    kind = data.get("Type") or "Service"
    if kind not in ITEM_TYPES:
        raise faults.invalid_property(f"Unsupported item Type {kind}", "Type")
    if existing is None and kind in ("Group", "Category"):
        raise faults.unsupported_operation(f"Items of Type {kind} cannot be created through the API")
    before = existing.data.get("Type") if existing is not None else None
    if before == "Inventory" and kind != "Inventory":
        raise faults.business(
            "An inventory item tracks its quantity for good: its Type cannot change", "Type"
        )
    data["Type"] = kind
    _text(data, "Description", 4000)
    _text(data, "PurchaseDesc", 1000)
    _text(data, "Sku", 100)
    data["UnitPrice"] = to_decimal(data.get("UnitPrice") or 0, "UnitPrice")
    if data.get("PurchaseCost") is not None:
        data["PurchaseCost"] = to_decimal(data["PurchaseCost"], "PurchaseCost")
    else:
        data.pop("PurchaseCost", None)
    if kind in ("Group", "Category"):
        return
    income = _ref(ledger, "Account", data, "IncomeAccountRef")
    if income is None:
        # Intuit requires it; the emulator falls back to the company's first sales account so that
        # a bare item can be made from Python (tests, seeds). UNVERIFIED: the real service refuses.
        income = _default_income(ledger)
        if income is None:
            raise faults.required("IncomeAccountRef")
        data["IncomeAccountRef"] = {"value": income.id, "name": income.data.get("Name", "")}
    if income.data.get("Classification") != "Revenue":
        raise faults.business("IncomeAccountRef must be an income account", "IncomeAccountRef")
    _ref(ledger, "Account", data, "ExpenseAccountRef")
    _ref(ledger, "Account", data, "AssetAccountRef")
    for key in ("SalesTaxCodeRef", "PurchaseTaxCodeRef"):
        if data.get(key) is not None:
            _ref(ledger, "TaxCode", data, key)
        else:
            data.pop(key, None)
    tracked = data.get("TrackQtyOnHand") in (True, "true") or before == "Inventory"
    if kind == "Inventory":
        for key in ("ExpenseAccountRef", "AssetAccountRef"):
            if key not in data:
                raise faults.required(key)
        if (
            data["AssetAccountRef"]
            and ledger.realm.table("Account")
            .get(data["AssetAccountRef"]["value"])
            .data.get(  # type: ignore[union-attr]
                "AccountType"
            )
            != "Other Current Asset"
        ):
            raise faults.business("AssetAccountRef must be an Other Current Asset account", "AssetAccountRef")
        if data.get("QtyOnHand") is None:
            raise faults.required("QtyOnHand")
        if existing is None and not data.get("InvStartDate"):
            raise faults.required("InvStartDate")
        data["QtyOnHand"] = to_decimal(data["QtyOnHand"], "QtyOnHand")
        tracked = True
    elif data.get("TrackQtyOnHand") in (True, "true"):
        raise faults.business("Only inventory items track their quantity on hand", "TrackQtyOnHand")
    data["TrackQtyOnHand"] = tracked
    if data.get("Taxable") is None:
        data["Taxable"] = False


def _default_income(ledger: Ledger) -> Record | None:
    for name in ("sales of product income", "services"):
        found = ledger.realm.names["Account"].get(name)
        if found is not None:
            return ledger.realm.table("Account").get(found)
    return None


# --------------------------------------------------------------------------------- journal entries


def build_journal_entry(ledger: Ledger, data: dict[str, Any]) -> None:
    lines = data.get("Line")
    if not isinstance(lines, list) or not lines:
        raise faults.required("Line")
    debits = credits = ZERO
    posted = 0
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            raise faults.request_parse("each Line is an object")
        if line.get("DetailType") == "DescriptionOnly":
            continue
        if line.get("DetailType") != "JournalEntryLineDetail":
            raise faults.invalid_property(
                f"Line {index + 1}: a journal entry line is JournalEntryLineDetail or DescriptionOnly",
                "Line.DetailType",
            )
        detail = line.get("JournalEntryLineDetail")
        if not isinstance(detail, dict):
            raise faults.required("Line.JournalEntryLineDetail")
        if line.get("Amount") is None:
            raise faults.required("Line.Amount")
        amount = money(to_decimal(line["Amount"], "Line.Amount"), "Line.Amount")
        if amount < 0:
            raise faults.invalid_property("Line.Amount cannot be negative: use PostingType", "Line.Amount")
        line["Amount"] = amount
        posting = detail.get("PostingType")
        if posting not in ("Debit", "Credit"):
            raise faults.required("Line.JournalEntryLineDetail.PostingType")
        account = ledger.resolve(
            "Account", detail.get("AccountRef"), "Line.JournalEntryLineDetail.AccountRef"
        )
        assert account is not None
        detail["AccountRef"] = {"value": account.id, "name": account.data.get("Name", "")}
        party = detail.get("Entity")
        party_type = party.get("Type") if isinstance(party, dict) else None
        kind = account.data.get("AccountType")
        for needed, wanted in (("Accounts Receivable", "Customer"), ("Accounts Payable", "Vendor")):
            if kind == needed and party_type != wanted:
                raise faults.business(
                    f"Line {index + 1} posts to {account.data.get('Name')}, an {needed} account: "
                    f"it needs a {wanted} in Entity",
                    "Line.JournalEntryLineDetail.Entity",
                )
        if isinstance(party, dict):
            if party_type not in ("Customer", "Vendor", "Employee"):
                raise faults.invalid_property("Entity.Type is Customer, Vendor or Employee", "Entity.Type")
            found = (
                ledger.resolve(party_type, party.get("EntityRef"), "Entity.EntityRef")
                if party_type
                in (
                    "Customer",
                    "Vendor",
                )
                and party_type in ledger.realm.tables
                else None
            )
            if found is not None:
                party["EntityRef"] = {
                    "value": found.id,
                    "name": found.data.get("DisplayName", ""),
                }
        for key, entity in (("ClassRef", "Class"), ("DepartmentRef", "Department")):
            if detail.get(key) is not None:
                _ref(ledger, entity, detail, key)
        if detail.get("TaxCodeRef") is not None:
            if detail.get("TaxApplicableOn") not in ("Sales", "Purchase"):
                raise faults.required("Line.JournalEntryLineDetail.TaxApplicableOn")
            if detail.get("TaxAmount") is None:
                raise faults.required("Line.JournalEntryLineDetail.TaxAmount")
            _ref(ledger, "TaxCode", detail, "TaxCodeRef")
        posted += 1
        if posting == "Debit":
            debits += amount
        else:
            credits += amount
    if not debits or not credits:
        raise faults.business("A journal entry has at least one debit and one credit line", "Line")
    if debits != credits:
        raise faults.business(
            f"Debits and credits must be equal: debits total {debits}, credits total {credits}", "Line"
        )
    data["TotalAmt"] = debits
    data.setdefault("Adjustment", False)
    code = (data.get("CurrencyRef") or {}).get("value") or ledger.options.home_currency
    if code != ledger.options.home_currency and not ledger.options.multi_currency:
        raise faults.business(
            f"Multicurrency is off for this company: journal entries are in {ledger.options.home_currency}",
            "CurrencyRef",
        )
    data["CurrencyRef"] = ledger.currency_ref(code)
